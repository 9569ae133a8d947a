"""Self-contained HTML and inline-SVG helpers shared by the ``junco.eval`` reports.

Every function returns a string; nothing here imports a plotting library, loads a script or reaches the
network, so a report opens offline in any browser. All text is HTML-escaped. The API is small and
stable (other reports import it): :func:`page`, :func:`table_html`, :func:`bar_chart_svg`,
:func:`scatter_svg`, :func:`line_chart_svg`.

Example:
    >>> from junco.eval._html import bar_chart_svg, page
    >>> html = page("demo", [("Scores", bar_chart_svg(["a", "b"], [0.5, 0.9]))])
    >>> html.startswith("<!DOCTYPE html>") and "<svg" in html
    True
"""

from __future__ import annotations

import html as _html
import math
from collections.abc import Callable, Sequence

__all__ = ["PALETTE", "bar_chart_svg", "esc", "line_chart_svg", "page", "scatter_svg", "table_html"]

#: Colour-blind-friendly categorical palette (Okabe-Ito), cycled for classes and series.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:1.5em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em;margin:6px 0} th,td{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3;text-align:left} td{text-align:left} td.num{text-align:right}
.grid{display:flex;flex-wrap:wrap;gap:12px} .grid figure{margin:0} figcaption{font-size:.8em;text-align:center}
svg text{font-family:system-ui,sans-serif}
"""


def esc(x: object) -> str:
    """HTML-escape ``str(x)`` (quotes included).

    Args:
        x: anything printable.

    Returns:
        The escaped text.

    Example:
        >>> esc("<a & b>")
        '&lt;a &amp; b&gt;'
    """
    return _html.escape(str(x), quote=True)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    return str(v)


def page(title: str, sections: Sequence[tuple[str, str]], *, intro: str = "") -> str:
    """Wrap sections into one self-contained HTML document.

    Args:
        title: page title and top heading (escaped).
        sections: ``(heading, html_body)`` pairs; the heading is escaped, the body is inserted as is
            (build it with the helpers here, which escape their text).
        intro: optional paragraph text under the title (escaped).

    Returns:
        The full document, ``<!DOCTYPE html>`` first.

    Example:
        >>> "<h2>t</h2>" in page("x", [("t", "<p>body</p>")])
        True
    """
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>", f"<h1>{esc(title)}</h1>"]
    if intro:
        parts.append(f"<p>{esc(intro)}</p>")
    for heading, body in sections:
        parts.append(f"<section><h2>{esc(heading)}</h2>{body}</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def table_html(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    """Render rows as an HTML table; floats are shown with 4 significant digits.

    Args:
        rows: one sequence of cells per row.
        headers: column names.

    Returns:
        A ``<table>`` element.

    Example:
        >>> '<td class="num">0.1235</td>' in table_html([["a", 0.123456]], ["name", "score"])
        True
    """
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(c) for c in r) + "</tr>" for r in rows)
    return f'<table class="junco-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(c: object) -> str:
    num = isinstance(c, int | float) and not isinstance(c, bool)
    return f'<td class="num">{esc(_fmt(c))}</td>' if num else f"<td>{esc(_fmt(c))}</td>"


def _finite(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def bar_chart_svg(labels: Sequence[str], values: Sequence[float], *, title: str = "", width: int = 640,
                  bar_height: int = 22, value_max: float | None = None, color: str = PALETTE[0]) -> str:
    """A horizontal bar chart, one bar per label, value printed at the bar's end.

    Args:
        labels: bar names (escaped).
        values: bar lengths; non-finite values draw no bar and print ``nan``; negatives draw from 0.
        title: optional caption drawn above the bars.
        width: total width in px.
        bar_height: height of one bar row in px.
        value_max: the value at full length; default the largest absolute value (or 1).
        color: bar fill.

    Returns:
        An ``<svg class="junco-bar-chart">`` element whose bars are ``<rect class="bar">``.

    Raises:
        ValueError: when ``labels`` and ``values`` differ in length.

    Example:
        >>> bar_chart_svg(["x"], [2.0]).count('class="bar"')
        1
    """
    if len(labels) != len(values):
        raise ValueError(f"bar_chart_svg: {len(labels)} labels but {len(values)} values")
    fin = _finite(values)
    vmax = value_max if value_max is not None else max([abs(v) for v in fin] + [0.0]) or 1.0
    label_w = min(320, 12 + 7 * max([len(str(s)) for s in labels] + [4]))
    top = 24 if title else 6
    plot_w = max(60, width - label_w - 70)
    h = top + bar_height * len(labels) + 6
    out = [f'<svg class="junco-bar-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" '
           f'viewBox="0 0 {width} {h}" role="img">']
    if title:
        out.append(f'<text x="4" y="16" font-size="13" font-weight="bold">{esc(title)}</text>')
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = top + i * bar_height
        out.append(f'<text x="{label_w - 6}" y="{y + bar_height * 0.68:.1f}" font-size="12" '
                   f'text-anchor="end">{esc(lab)}</text>')
        ok = v is not None and math.isfinite(float(v))
        w = max(1.0, plot_w * abs(float(v)) / vmax) if ok else 0.0
        if ok:
            out.append(f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{bar_height - 6}" '
                       f'fill="{esc(color)}"><title>{esc(lab)}: {esc(_fmt(float(v)))}</title></rect>')
        out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_height * 0.68:.1f}" font-size="11">'
                   f'{esc(_fmt(float(v)) if v is not None else "nan")}</text>')
    out.append("</svg>")
    return "".join(out)


def _scale(lo: float, hi: float, a: float, b: float) -> Callable[[float], float]:
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def scatter_svg(points: Sequence[Sequence[float]], labels: Sequence[object] | None = None, *, title: str = "",
                size: int = 260, radius: float = 3.5) -> str:
    """A 2-D scatter plot (e.g. a PCA map), one colour per distinct label, with a legend.

    Args:
        points: ``(x, y)`` pairs; non-finite points are skipped.
        labels: one label per point for colour and legend; ``None`` draws one colour.
        title: optional caption drawn at the top.
        size: width and height in px.
        radius: dot radius in px.

    Returns:
        An ``<svg class="junco-scatter">`` element whose dots are ``<circle class="pt">``.

    Raises:
        ValueError: when ``labels`` is given and differs in length from ``points``.

    Example:
        >>> scatter_svg([(0, 0), (1, 1)], ["a", "b"]).count('class="pt"')
        2
    """
    if labels is not None and len(labels) != len(points):
        raise ValueError(f"scatter_svg: {len(points)} points but {len(labels)} labels")
    labs = [str(x) for x in labels] if labels is not None else [""] * len(points)
    classes = list(dict.fromkeys(labs))
    pts = [(float(p[0]), float(p[1]), lab) for p, lab in zip(points, labs, strict=True)
           if math.isfinite(float(p[0])) and math.isfinite(float(p[1]))]
    top = 22 if title else 6
    legend_h = 14 * len(classes) if labels is not None else 0
    h = size + top + legend_h
    m = 8
    out = [f'<svg class="junco-scatter" xmlns="http://www.w3.org/2000/svg" width="{size}" height="{h}" '
           f'viewBox="0 0 {size} {h}" role="img">',
           f'<rect x="0.5" y="{top + 0.5}" width="{size - 1}" height="{size - 1}" fill="#fafafa" stroke="#ccc"/>']
    if title:
        out.append(f'<text x="4" y="15" font-size="12" font-weight="bold">{esc(title)}</text>')
    if pts:
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        sx = _scale(min(xs), max(xs), m, size - m)
        sy = _scale(min(ys), max(ys), top + size - m, top + m)
        for x, y, lab in pts:
            c = PALETTE[classes.index(lab) % len(PALETTE)]
            out.append(f'<circle class="pt" cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="{radius}" fill="{c}" '
                       f'fill-opacity="0.8"><title>{esc(lab)}</title></circle>')
    if labels is not None:
        for i, lab in enumerate(classes):
            y = top + size + 11 + 14 * i
            out.append(f'<circle cx="10" cy="{y - 4}" r="4" fill="{PALETTE[i % len(PALETTE)]}"/>'
                       f'<text x="18" y="{y}" font-size="11">{esc(lab)}</text>')
    out.append("</svg>")
    return "".join(out)


def line_chart_svg(x: Sequence[float], series: dict[str, Sequence[float]], *, title: str = "",
                   width: int = 640, height: int = 240, x_label: str = "", y_label: str = "") -> str:
    """A line chart of one or more named series over shared x values, with a legend.

    Args:
        x: x values (ascending is expected but not required).
        series: name -> y values, each the length of ``x``; non-finite values break the line.
        title: optional caption.
        width: width in px.
        height: plot height in px (title and legend add to it).
        x_label: axis caption under the plot.
        y_label: axis caption at the top left.

    Returns:
        An ``<svg class="junco-line-chart">`` element whose lines are ``<polyline class="series">``.

    Raises:
        ValueError: when a series differs in length from ``x``.

    Example:
        >>> line_chart_svg([0, 1, 2], {"a": [1, 2, 3]}).count('class="series"')
        1
    """
    for name, ys in series.items():
        if len(ys) != len(x):
            raise ValueError(f"line_chart_svg: series {name!r} has {len(ys)} values for {len(x)} x values")
    top = 22 if title else 8
    left, bottom, right = 48, 30, 10
    legend_h = 14 * len(series)
    total_h = top + height + bottom + legend_h
    out = [f'<svg class="junco-line-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{total_h}" viewBox="0 0 {width} {total_h}" role="img">']
    if title:
        out.append(f'<text x="4" y="15" font-size="13" font-weight="bold">{esc(title)}</text>')
    xs = _finite(list(x))
    ys_all = [v for ys in series.values() for v in _finite(list(ys))]
    out.append(f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height}" fill="#fafafa" '
               f'stroke="#ccc"/>')
    if xs and ys_all:
        sx = _scale(min(xs), max(xs), left, width - right)
        y0, y1 = min(ys_all), max(ys_all)
        sy = _scale(y0, y1, top + height, top)
        for v in (y0, y1):
            out.append(f'<text x="{left - 4}" y="{sy(v) + 4:.1f}" font-size="10" text-anchor="end">'
                       f'{esc(_fmt(v))}</text>')
        for v in (min(xs), max(xs)):
            out.append(f'<text x="{sx(v):.1f}" y="{top + height + 13}" font-size="10" text-anchor="middle">'
                       f'{esc(_fmt(v))}</text>')
        for i, (name, ys) in enumerate(series.items()):
            c = PALETTE[i % len(PALETTE)]
            runs: list[list[str]] = [[]]
            for xv, yv in zip(x, ys, strict=True):
                if math.isfinite(float(xv)) and math.isfinite(float(yv)):
                    runs[-1].append(f"{sx(float(xv)):.1f},{sy(float(yv)):.1f}")
                elif runs[-1]:
                    runs.append([])
            for run in runs:
                if run:
                    out.append(f'<polyline class="series" points="{" ".join(run)}" fill="none" stroke="{c}" '
                               f'stroke-width="2"><title>{esc(name)}</title></polyline>')
    if x_label:
        out.append(f'<text x="{(left + width) / 2:.0f}" y="{top + height + 26}" font-size="11" '
                   f'text-anchor="middle">{esc(x_label)}</text>')
    if y_label:
        out.append(f'<text x="{left}" y="{top - 2}" font-size="10">{esc(y_label)}</text>')
    for i, name in enumerate(series):
        y = top + height + bottom + 11 + 14 * i
        out.append(f'<rect x="{left}" y="{y - 8}" width="10" height="3" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{left + 14}" y="{y}" font-size="11">{esc(name)}</text>')
    out.append("</svg>")
    return "".join(out)
