"""Every ``junco`` command as a subprocess: help, JSON output, exit codes, per-row errors with ids."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from junco import ops, pipe

COMMANDS = ["embed", "index", "search", "train", "serve", "models", "doctor"]


def junco(*args, stdin=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "junco", *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "JUNCO_DEBUG": ""})


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    """A real pipeline from built-in operators, saved as a spec file: a JSON vector -> unit vector."""
    path = tmp_path_factory.mktemp("spec") / "normalize.yaml"
    pipe.input("x").map("x", "v", ops.vector.normalize()).output("v").save(path)
    return path


def test_help_everywhere_and_version():
    top = junco("--help")
    assert top.returncode == 0 and all(c in top.stdout for c in COMMANDS + ["eval", "demo"])
    assert "exit codes" in top.stdout
    for cmd in COMMANDS:
        r = junco(cmd, "--help")
        assert r.returncode == 0 and f"usage: junco {cmd}" in r.stdout, (cmd, r.stderr)
        assert "--json" in r.stdout
    assert junco("--version").stdout.startswith("junco ")
    assert junco().returncode == 2
    bad = junco("embed", "--no-such-flag")
    assert bad.returncode == 2 and "unrecognized arguments" in bad.stderr


def test_embed_stdin_to_jsonl_with_a_bad_row_reported_by_id(spec):
    r = junco("embed", "-", "-p", spec, "--modality", "json", stdin="[3, 4]\n\"not a vector\"\n[0, 2]\n")
    assert r.returncode == 1  # one input failed: non-zero, the others are still written
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["stdin:1", "stdin:3"]
    assert np.allclose(rows[0]["vector"], [0.6, 0.8]) and np.allclose(rows[1]["vector"], [0, 1])
    assert "error: stdin:2:" in r.stderr and "embedded 2 inputs (1 failed)" in r.stderr


def test_embed_files_to_parquet_with_fingerprint(spec, tmp_path):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    data = tmp_path / "vecs.txt"
    data.write_text("[1, 0]\n[0, 3]\n")
    out = tmp_path / "out.parquet"
    r = junco("embed", data, "-p", spec, "--modality", "json", "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["embedded"] == 2 and summary["failed"] == 0
    table = pq.read_table(out)
    assert table.column("id").to_pylist() == [f"{data}:1", f"{data}:2"]
    assert np.allclose(table.column("vector").to_pylist(), [[1, 0], [0, 1]])
    assert b"junco_fingerprint" in table.schema.metadata


def test_embed_missing_input_is_a_usage_error(tmp_path):
    r = junco("embed", tmp_path / "nope.png")
    assert r.returncode == 2 and "no such file" in r.stderr


def test_index_search_delete_on_a_store(spec, tmp_path):
    data = tmp_path / "items.jsonl"
    data.write_text("[1, 0, 0]\n[0, 1, 0]\n[0, 0, 1]\n")
    store = f"exact://{tmp_path / 'store'}"
    r = junco("index", data, "-p", spec, "--modality", "json", "--index", store, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["count"] == 3
    again = json.loads(junco("index", data, "-p", spec, "--modality", "json", "--index", store, "--json").stdout)
    assert again["count"] == 3  # idempotent by id
    r = junco("search", "--vector", "[0.1, 0.9, 0]", "--index", store, "-k", "2", "--json")
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)["hits"]
    assert hits[0]["id"] == f"{data}:2" and len(hits) == 2
    plain = junco("search", "--vector", "[0, 0, 1]", "--index", store, "-k", "1")
    assert plain.stdout.split()[2] == f"{data}:3"
    r = junco("index", "--index", store, "--delete", f"{data}:2", "--json")
    assert json.loads(r.stdout) == {"deleted": 1, "count": 2, "index": store}


def _sample(name):
    import skimage.data

    return os.path.join(os.path.dirname(skimage.data.__file__), name)


def test_index_and_search_images_with_the_packaged_model(tmp_path):
    pytest.importorskip("skimage")
    import cv2

    names = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"]
    imgs = [_sample(n) for n in names]
    if not all(os.path.exists(p) for p in imgs):
        pytest.skip("scikit-image sample images are missing")
    crop = cv2.imread(imgs[1])[20:-20, 30:-30]
    query = tmp_path / "coffee-crop.jpg"
    cv2.imwrite(str(query), crop)
    (tmp_path / "bad.png").write_bytes(b"not an image")
    store = f"exact://{tmp_path / 'images'}"
    torch_backend = ["--set", "backend=torch"]  # no ONNX export into this session's fresh cache
    r = junco("index", *imgs, tmp_path / "bad.png", "--index", store, "--json", *torch_backend)
    assert r.returncode == 1, r.stderr  # the corrupt file fails alone, reported with its id
    out = json.loads(r.stdout)
    assert out["written"] == 4 and out["errors"][0]["id"] == str(tmp_path / "bad.png")
    assert f"error: {tmp_path / 'bad.png'}" in r.stderr
    r = junco("search", query, "--index", store, "-k", "2", "--json", *torch_backend)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["hits"][0]["id"] == imgs[1]


def test_embed_texts_with_the_packaged_text_model():
    r = junco("embed", "-t", "a cat", "-t", "a dog", "-q", "--set", "backend=torch")
    if r.returncode != 0 and "text-embedding" in r.stderr and "unknown" in r.stderr:
        pytest.skip("no text pipeline installed")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["id"] for x in rows] == ["text:0", "text:1"]
    assert len(rows[0]["vector"]) == 384 and len(rows[0]["fingerprint"]) == 16
    assert r.stderr == ""  # quiet: no progress bars, no notes


def test_models_and_doctor_json():
    r = junco("models", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert "image-embedding" in data["pipelines"] and isinstance(data["models"], list)
    r = junco("doctor", "--json")
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    assert {"torch", "extras", "network", "models", "problems"} <= set(doc)
    assert doc["extras"]["serve"] is True and doc["network"]["downloads_allowed"] in (True, False)
    assert (r.returncode == 0) == (doc["problems"] == [])


def _available(module: str, attr: str) -> bool:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return False
    if spec is None:
        return False
    return hasattr(importlib.import_module(module), attr)


def test_train_fine_tunes_and_saves_the_operator(tmp_path):
    if not _available("junco.trainer", "TrainingConfig"):
        pytest.skip("junco.trainer is not installed")
    import cv2

    from junco.trainer import TrainingConfig

    rng = np.random.default_rng(0)
    for cls, bgr in (("red", (0, 0, 220)), ("blue", (220, 0, 0))):
        (tmp_path / "data" / cls).mkdir(parents=True)
        for i in range(6):
            img = np.clip(np.full((48, 48, 3), bgr) + rng.normal(0, 25, (48, 48, 3)), 0, 255).astype(np.uint8)
            cv2.imwrite(str(tmp_path / "data" / cls / f"{i}.png"), img)
    cfg = TrainingConfig(batch_size=4, epoch_num=1, output_dir=str(tmp_path / "run"), plots=False,
                         tensorboard=False)
    cfg.save(tmp_path / "cfg.yaml")
    r = junco("train", tmp_path / "cfg.yaml", "--train-data", tmp_path / "data", "--set", "backend=torch",
              "--save", tmp_path / "op", "--json", "-q")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["classes"] == ["blue", "red"] and out["monitor"].startswith("val/")
    assert (tmp_path / "op" / "junco_operator.json").is_file() and (tmp_path / "run" / "metrics.csv").is_file()


def test_train_eval_demo_hand_over_or_say_they_are_missing(tmp_path):
    r = junco("train", tmp_path / "missing.yaml", "--train-data", tmp_path)
    assert r.returncode == 2 and ("not available" in r.stderr or "no such file" in r.stderr), r.stderr
    r = junco("eval", "--help")
    if _available("junco.eval", "main"):
        assert r.returncode == 0
    else:
        assert r.returncode == 2 and "not available" in r.stderr
    r = junco("demo", "--help")
    if _available("junco.demo", "main"):
        assert r.returncode == 0 and "usage" in r.stdout.lower()
    else:
        assert r.returncode == 2 and "not available" in r.stderr
