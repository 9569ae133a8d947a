"""The main demo: reverse image search over images that ship offline, stored in Milvus Lite.

Run: ``junco demo`` or ``make demo``. Writes ``demo_output/index.html`` (each query with its top-5).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from junco.demo._data import Item, photos, textiles
from junco.demo._gallery import Row, write_gallery

TEXT_QUERIES = ["a cat", "a cup of coffee", "an astronaut", "a rocket", "a flower"]


class _Stages:
    def __init__(self) -> None:
        self.times: list[tuple[str, float]] = []
        self._t = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.times.append((name, now - self._t))
        print(f"[{now - self._t:6.1f}s] {name}", flush=True)
        self._t = now


def _model_op(p: Any) -> Any:
    ops = [n.fn for n in p.plan.steps if n.batched]
    return ops[-1] if ops else None


def _embed(p: Any, items: list[Item]) -> tuple[list[str], Any]:
    import numpy as np

    paths = [it.path for it in items]
    res = p.batch(paths, ids=paths)
    for e in res.errors:
        print(f"  ! skipped {e.row_id}: {e.exc_type}: {e.message}")
    keep = [(path, rows[0]) for path, rows in zip(paths, res) if rows]
    return [k for k, _ in keep], np.stack([v for _, v in keep]).astype("float32")


def main(argv: list[str] | None = None) -> int:
    """Build the image search, run the queries, print metrics and write the gallery."""
    ap = argparse.ArgumentParser(prog="junco demo", description=__doc__)
    ap.add_argument("--out", default="demo_output", help="output folder (gallery, database)")
    ap.add_argument("--per-class", type=int, default=150, help="textile images indexed per class")
    ap.add_argument("--queries-per-class", type=int, default=6)
    ap.add_argument("--crops", type=int, default=3, help="augmented crops per sample photo (queries)")
    ap.add_argument("--model", default=None, help="image model (default: best installed)")
    ap.add_argument("--index", default=None, help="store URI (default: <out>/junco.db, Milvus Lite)")
    ap.add_argument("--no-text", action="store_true", help="skip the text-to-image queries")
    args = ap.parse_args(argv)

    from junco import pipeline
    from junco.index import open_index
    from junco.index.metrics import precision_at_k, recall_at_k

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    st = _Stages()
    db_t, q_t = textiles(args.per_class, args.queries_per_class)
    db_p, q_p = photos(out / "photos", crops_per_photo=args.crops)
    labels = {it.path: it.label for it in db_t + db_p}
    st.done(f"data: {len(db_t)} textiles + {len(db_p)} photos to index, {len(q_t) + len(q_p)} queries")

    p = pipeline("image-embedding", model=args.model) if args.model else pipeline("image-embedding")
    op = _model_op(p)
    fp = op.fingerprint() if op is not None else p.fingerprint()
    t_embed = time.perf_counter()
    ids, vecs = _embed(p, db_t + db_p)
    rate = len(ids) / max(1e-9, time.perf_counter() - t_embed)
    st.done(f"embed: {len(ids)} images with {fp.get('op', '?')} ({rate:.0f} img/s, dim {vecs.shape[1]})")

    uri = args.index or str(out / "junco.db")
    index = open_index(uri, dim=vecs.shape[1], metric="cosine", fingerprint=fp)
    index.upsert(ids, vecs, [{"label": labels[i]} for i in ids])
    st.done(f"store: {index.count()} vectors in {uri} ({type(index).__name__})")

    q_ids, q_vecs = _embed(p, q_t + q_p)
    hits = index.search(q_vecs, topk=5, fingerprint=fp)
    q_label = {it.path: it.label for it in q_t + q_p}
    rows: list[Row] = []
    tex_ret, tex_rel, ph_ret, ph_rel = [], [], [], []
    for qid, h in zip(q_ids, hits):
        lab = q_label[qid]
        is_photo = "/queries/" in qid
        got = list(h.ids)
        if is_photo:
            src = next(it.path for it in db_p if it.label == lab)
            ph_ret.append(got)
            ph_rel.append({src})
        else:
            tex_ret.append(got)
            tex_rel.append({i for i in ids if labels[i] == lab and "/photos/" not in i})
        rows.append(Row(f"{lab} ({'crop' if is_photo else 'held-out'})", qid,
                        [(i, float(s), labels.get(i, "?"), labels.get(i) == lab)
                         for i, s in zip(got, h.scores)]))
    summary = []
    if tex_ret:
        summary.append(f"labelled textiles: precision@5 {precision_at_k(tex_ret, tex_rel, 5):.3f}, "
                       f"hit@5 {sum(bool(set(r[:5]) & s) for r, s in zip(tex_ret, tex_rel)) / len(tex_ret):.3f} "
                       f"({len(tex_ret)} queries, chance precision {1 / 3:.2f})")
    if ph_ret:
        summary.append(f"augmented photo crops: recall@5 {recall_at_k(ph_ret, ph_rel, 5):.3f}, recall@1 "
                       f"{recall_at_k(ph_ret, ph_rel, 1):.3f} ({len(ph_ret)} queries, {len(db_p)} photos)")
    st.done("search: " + "; ".join(summary))
    for r in rows[:: max(1, len(rows) // 8)]:
        print(f"  {r.title:<24} -> " + ", ".join(f"{lab}:{s:.3f}" for _, s, lab, _ in r.hits))

    if not args.no_text:
        try:
            side = pipeline("text-image-embedding", modality="image")
            s_ids, s_vecs = _embed(side, db_p)
            s_fp = _model_op(side).fingerprint()
            tindex = open_index("memory://junco-demo-text", dim=s_vecs.shape[1], fingerprint=s_fp)
            tindex.upsert(s_ids, s_vecs)
            search = pipeline("text-image-search", index=tindex, topk=3)
            for q in TEXT_QUERIES:
                h = search(q)[0]
                print(f"  text {q!r:<20} -> " + ", ".join(f"{labels[i]}:{s:.3f}" for i, s in zip(h.ids, h.scores)))
                rows.append(Row(f"text: {q}", None, [(i, float(s), labels[i], False) for i, s in zip(h.ids, h.scores)]))
            st.done(f"text-to-image: {len(TEXT_QUERIES)} queries through {s_fp.get('op', '?')}")
        except Exception as e:  # the image search stands on its own; say why this part did not run
            print(f"  text-to-image skipped: {type(e).__name__}: {e}")
    gallery = write_gallery(rows, out, title="junco reverse image search", summary=summary + [
        f"{name}: {sec:.1f}s" for name, sec in st.times])
    st.done(f"gallery: {gallery.resolve()}")
    print("total: " + f"{sum(t for _, t in st.times):.1f}s")
    index.close()
    return 0
