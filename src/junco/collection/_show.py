"""Render rows for people: an HTML table for notebooks, a rich table for terminals.

Images (``HxWx3``/``HxWx4``/``HxW`` uint8 arrays) become base64 PNG thumbnails, written with zlib alone
(no imaging library needed); vectors become ``shape, norm, first values``; long values are cut short.
"""

from __future__ import annotations

import base64
import html
import struct
import sys
import zlib
from typing import Any

THUMB = 128  # longest thumbnail side, in pixels


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython is then already imported; it is never imported here)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None:
        return False
    return type(shell).__name__ == "ZMQInteractiveShell" or "IPKernelApp" in getattr(shell, "config", {})


def display_html(markup: str) -> None:
    from IPython.display import HTML, display

    display(HTML(markup))


def _array(v: Any) -> Any:
    if hasattr(v, "__array__") and hasattr(v, "shape") and hasattr(v, "dtype"):
        import numpy as np

        return np.asarray(v)
    return None


def is_image(a: Any) -> bool:
    return (a is not None and a.dtype.name == "uint8" and min(a.shape[:2] or (0,)) >= 2
            and (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))))


def png_bytes(a: Any) -> bytes:
    """A uint8 ``HxW``/``HxWx3``/``HxWx4`` array as PNG bytes."""
    import numpy as np

    a = np.ascontiguousarray(a)
    h, w = a.shape[:2]
    color = {2: 0, 3: 2, 4: 6}[a.ndim if a.ndim == 2 else a.shape[2]]
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    head = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def thumbnail(v: Any, a: Any) -> str:
    """An ``<img>`` tag; BGR images (``mode == "BGR"``, as OpenCV decodes) are shown in RGB."""
    step = max(1, -(-max(a.shape[:2]) // THUMB))
    small = a[::step, ::step]
    if a.ndim == 3 and a.shape[2] == 3 and str(getattr(v, "mode", "")).upper() == "BGR":
        small = small[..., ::-1]
    data = base64.b64encode(png_bytes(small)).decode("ascii")
    title = f"image {'x'.join(map(str, a.shape))}"
    return f'<img src="data:image/png;base64,{data}" title="{title}" style="max-width:{THUMB}px"/>'


def summary(v: Any, width: int = 60) -> str:
    """A short plain-text form of a value (arrays and vectors summarized, the rest cut to ``width``)."""
    a = _array(v)
    if a is not None:
        if is_image(a):
            return f"image {'x'.join(map(str, a.shape))} {a.dtype}"
        if a.ndim == 1 and a.dtype.kind in "fiu":
            import numpy as np

            first = ", ".join(f"{x:.3g}" for x in a[:4].tolist())
            more = ", ..." if a.shape[0] > 4 else ""
            return f"vec[{a.shape[0]}] {a.dtype} norm={float(np.linalg.norm(a)):.3f} [{first}{more}]"
        return f"array {a.shape} {a.dtype}"
    if hasattr(v, "ids") and hasattr(v, "scores"):  # search hits
        return f"hits ids={_cut(repr(list(v.ids)[:3]), width // 2)} scores={_cut(repr(list(v.scores)[:3]), width // 2)}"
    return _cut(v if isinstance(v, str) else repr(v), width)


def _cut(s: str, width: int) -> str:
    return s if len(s) <= width else s[: width - 3] + "..."


def cell_html(v: Any) -> str:
    a = _array(v)
    if a is not None and is_image(a):
        return thumbnail(v, a)
    if isinstance(v, list | tuple) and v and len(v) <= 8 and all(is_image(_array(x)) for x in v):
        return " ".join(thumbnail(x, _array(x)) for x in v)
    return html.escape(summary(v, 120))


def html_table(names: list[str], ids: list[Any], rows: list[tuple[Any, ...]], more: bool) -> str:
    """The HTML table ``show()`` displays in a notebook."""
    style = "border:1px solid #ccc;padding:4px;vertical-align:top;text-align:left"
    head = "".join(f'<th style="{style}">{html.escape(n)}</th>' for n in ["id", *names])
    body = []
    for rid, row in zip(ids, rows):
        cells = [html.escape(summary(rid))] + [cell_html(v) for v in row]
        body.append("<tr>" + "".join(f'<td style="{style}">{c}</td>' for c in cells) + "</tr>")
    tail = f"<p>first {len(rows)} rows; more follow</p>" if more else ""
    return (f'<table class="junco-collection" style="border-collapse:collapse"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>{tail}")


def print_table(names: list[str], ids: list[Any], rows: list[tuple[Any, ...]], more: bool) -> None:
    """A plain table on stdout (rich)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for n in ["id", *names]:
        table.add_column(n, overflow="fold")
    for rid, row in zip(ids, rows):
        table.add_row(summary(rid), *(summary(v) for v in row))
    if more:
        table.caption = f"first {len(rows)} rows; more follow"
    Console(file=sys.stdout).print(table)
