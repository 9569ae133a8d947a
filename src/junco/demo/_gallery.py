"""The demo's HTML gallery: each query with its top-k thumbnails and scores; self-contained folder."""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Row:
    """One query's line in the gallery."""

    title: str
    query_image: str | None
    hits: list[tuple[str, float, str, bool]] = field(default_factory=list)  # (image, score, label, relevant)


def _thumb(src: str, folder: Path, size: int = 128) -> str:
    """A small JPEG copy of ``src`` inside ``folder``; returns its path relative to the gallery."""
    import cv2

    name = hashlib.sha1(src.encode()).hexdigest()[:16] + ".jpg"
    out = folder / name
    if not out.exists():
        img = cv2.imread(src, cv2.IMREAD_COLOR)
        if img is None:
            return ""
        h, w = img.shape[:2]
        s = size / max(h, w)
        img = cv2.resize(img, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(out), img)
    return f"thumbs/{name}"


def write_gallery(rows: list[Row], out_dir: Path, *, title: str, summary: list[str]) -> Path:
    """Write ``out_dir/index.html`` (thumbnails under ``out_dir/thumbs``)."""
    thumbs = out_dir / "thumbs"
    thumbs.mkdir(parents=True, exist_ok=True)
    parts = [f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;margin:1.5em} .q{display:flex;gap:12px;align-items:flex-start;"
             "margin:10px 0;padding:8px;border-bottom:1px solid #ddd} figure{margin:0;text-align:center;"
             "font-size:12px} img{display:block;max-width:128px;max-height:128px} .query img{outline:3px solid "
             "#36c} .hit.ok img{outline:3px solid #2a2} .hit.miss img{outline:3px solid #c33}"
             " .text{width:128px;font-weight:bold}</style>",
             f"<h1>{html.escape(title)}</h1>", "<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in summary)
             + "</ul>"]
    for r in rows:
        parts.append("<div class='q'>")
        if r.query_image:
            parts.append(f"<figure class='query'><img src='{_thumb(r.query_image, thumbs)}' alt='query'>"
                         f"<figcaption>{html.escape(r.title)}</figcaption></figure>")
        else:
            parts.append(f"<div class='query text'>{html.escape(r.title)}</div>")
        for img, score, label, ok in r.hits:
            cls = "ok" if ok else "miss"
            parts.append(f"<figure class='hit {cls}'><img class='result' src='{_thumb(img, thumbs)}' "
                         f"alt='{html.escape(label)}'><figcaption>{html.escape(label)}<br>{score:.3f}"
                         "</figcaption></figure>")
        parts.append("</div>")
    out = out_dir / "index.html"
    out.write_text("\n".join(parts))
    return out
