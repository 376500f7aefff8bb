"""Charts as PNG for the Word report (Word has no SVG before 2016 and python-docx embeds raster images only).

A small drawing helper of its own until the PDF's ``gaoxin.report.charts`` is in main; the two draw the same
`Chart` (bar, line, radar, waterfall, rank interval, scatter) with the unit on every value axis and the CJK
font found by family name through matplotlib's font manager (Debian ``fonts-noto-cjk``; no hard-coded path).
Output is deterministic: no timestamp or software tag in the PNG, a fixed size and DPI.
"""

from __future__ import annotations

import io
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gaoxin.services.report_model import Chart

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "Source Han Sans SC", "SimSun",
                "WenQuanYi Micro Hei")
COLOURS = ("#2F5597", "#C55A11", "#548235", "#7F6000", "#7030A0", "#2E75B6")


@cache
def font_family() -> str:
    """The first installed CJK family (else DejaVu Sans: Chinese would show as boxes, so the Makefile installs
    fonts-noto-cjk)."""
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FAMILIES if f in have), "DejaVu Sans")


def png(chart: Chart, width_in: float = 6.3, height_in: float = 3.4, dpi: int = 130) -> bytes:
    """The chart drawn with matplotlib's Agg canvas once (fixed margins, no tight-layout pass: a national
    report has ~3 charts per zone), encoded as PNG by Pillow without text chunks."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    with matplotlib.rc_context({"font.family": [font_family(), "DejaVu Sans"], "font.size": 9,
                                "axes.unicode_minus": False}):
        if chart.kind == "rank_interval":  # a row per zone
            height_in = max(1.8, 0.2 * len(chart.categories) + 1.0)
        fig = Figure(figsize=(width_in, height_in), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        if chart.kind == "radar":
            _radar(fig, chart)
            fig.subplots_adjust(left=0.1, right=0.9, top=0.84, bottom=0.08)
        elif chart.kind == "rank_interval":
            ax = fig.add_subplot(111)
            _rank_interval(ax, chart)
            fig.subplots_adjust(left=0.22, right=0.98, top=1 - 0.55 / fig.get_figheight(),
                                bottom=0.45 / fig.get_figheight())
        else:
            ax = fig.add_subplot(111)
            DRAW.get(chart.kind, _bar)(ax, chart)
            ax.set_ylabel(chart.unit or "")
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)
            ax.set_axisbelow(True)
            if len(chart.series) > 1:
                ax.legend(fontsize=8, frameon=False)
            rotated = _tick_labels(ax, chart)
            fig.subplots_adjust(left=0.1, right=0.98, top=0.88, bottom=0.34 if rotated else 0.12)
        fig.suptitle(chart.title, fontsize=10)
        canvas.draw()
        w, h = canvas.get_width_height()
        image = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    # a 256-colour palette: charts are a few flat colours plus antialiasing, 40 → 16 KB a chart
    image.quantize(256, method=Image.Quantize.FASTOCTREE).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def _xs(chart: Chart) -> list[int]:
    return list(range(len(chart.categories)))


def _pairs(xs: list[int], values: list[float | None]) -> tuple[list[float], list[float]]:
    kept = [(x, v) for x, v in zip(xs, values, strict=False) if v is not None]
    return [x for x, _ in kept], [v for _, v in kept]


def _bar(ax: Any, chart: Chart) -> None:
    xs, k = _xs(chart), max(len(chart.series), 1)
    w = 0.8 / k
    for i, s in enumerate(chart.series):
        px, pv = _pairs(xs, s.values)
        ax.bar([x - 0.4 + w * (i + 0.5) for x in px], pv, width=w, color=COLOURS[i % len(COLOURS)], label=s.name)


def _line(ax: Any, chart: Chart) -> None:
    for i, s in enumerate(chart.series):
        px, pv = _pairs(_xs(chart), s.values)
        ax.plot(px, pv, marker="o", markersize=3, color=COLOURS[i % len(COLOURS)], label=s.name)


def _scatter(ax: Any, chart: Chart) -> None:
    for i, s in enumerate(chart.series):
        px, pv = _pairs(_xs(chart), s.values)
        ax.scatter(px, pv, s=12, color=COLOURS[i % len(COLOURS)], label=s.name)


def _waterfall(ax: Any, chart: Chart) -> None:
    """First and last categories are levels (the two years' scores, grey); those between are changes drawn
    from the running level (green up, red down) — the PDF's convention."""
    values = [0.0 if v is None else float(v) for v in (chart.series[0].values if chart.series else [])]
    level = 0.0
    for i, v in enumerate(values):
        total = i in (0, len(values) - 1)
        bottom = 0.0 if total else (level if v >= 0 else level + v)
        colour = "#7F7F7F" if total else ("#548235" if v >= 0 else "#C00000")
        ax.bar(i, v if total else abs(v), bottom=bottom, color=colour, width=0.6)
        ax.annotate(f"{v:.1f}" if total else f"{v:+.1f}", (i, bottom + (v if total else abs(v))), ha="center",
                    va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
        level = v if total else level + v
    ax.axhline(0, color="#666666", linewidth=0.6)


def _rank_interval(ax: Any, chart: Chart) -> None:
    """One row per zone, best on top: the rank as a point, its 5–95 % interval as a bar; series side by side."""
    n, k = len(chart.categories), max(len(chart.series), 1)
    for i, s in enumerate(chart.series):
        off = (i - (k - 1) / 2) * 0.3
        for y, v in enumerate(s.values):
            lo = s.low[y] if s.low is not None and y < len(s.low) else None
            hi = s.high[y] if s.high is not None and y < len(s.high) else None
            if lo is not None and hi is not None:
                ax.hlines(y + off, lo, hi, color=COLOURS[i % len(COLOURS)], linewidth=2.5, alpha=0.45)
            if v is not None:
                ax.plot(v, y + off, "o", color=COLOURS[i % len(COLOURS)], markersize=3,
                        label=s.name if y == 0 else None)
    ax.set_yticks(range(n))
    ax.set_yticklabels(chart.categories, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(chart.unit or "")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    if k > 1:
        ax.legend(fontsize=7, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=k)


def _radar(fig: Any, chart: Chart) -> None:
    import math

    n = len(chart.categories)
    ax = fig.add_subplot(111, polar=True)
    angles = [2 * math.pi * k / max(n, 1) for k in range(n)]
    for i, s in enumerate(chart.series):
        vals = [v or 0.0 for v in s.values]
        ax.plot([*angles, angles[0]] if n else [], [*vals, vals[0]] if n else [], color=COLOURS[i % len(COLOURS)],
                label=s.name)
        ax.fill([*angles, angles[0]] if n else [], [*vals, vals[0]] if n else [], color=COLOURS[i % len(COLOURS)],
                alpha=0.15)
    ax.set_theta_offset(math.pi / 2)  # the first axis at the top, clockwise, as in the dashboard
    ax.set_theta_direction(-1)
    ax.set_rlabel_position(180 / max(n, 1))  # radial numbers between two axes, never over a label
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xticks(angles)
    ax.set_xticklabels(chart.categories, fontsize=8)
    for label, a in zip(ax.get_xticklabels(), angles, strict=True):  # outward from the circle, never across it
        x = math.sin(a)
        label.set_horizontalalignment("left" if x > 0.1 else "right" if x < -0.1 else "center")
    ax.set_yticks(ax.get_yticks())  # fixed ticks: the unit goes into the caption under the figure
    if len(chart.series) > 1:
        ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.25, 0.5))


def _tick_labels(ax: Any, chart: Chart) -> bool:
    """Category labels (every k-th when there are many), rotated when long; whether they were rotated."""
    n = len(chart.categories)
    ax.set_xticks(_xs(chart))
    step = max(1, n // 30)  # a national chart of 180 zones: every 6th label, never overlapping text
    labels = [c if k % step == 0 else "" for k, c in enumerate(chart.categories)]
    rotate = n > 6 or max((len(c) for c in chart.categories), default=0) > 6
    ax.set_xticklabels(labels, rotation=60 if rotate else 0, ha="right" if rotate else "center", fontsize=7)
    return rotate


DRAW = {"bar": _bar, "line": _line, "scatter": _scatter, "waterfall": _waterfall}
RANKS_PER_CHART = 30


def split(chart: Chart) -> list[Chart]:
    """A rank-interval chart of many zones as several (≤ 30 zones each): 180 rows do not fit one page."""
    if chart.kind != "rank_interval" or len(chart.categories) <= RANKS_PER_CHART:
        return [chart]
    parts = []
    for k in range(0, len(chart.categories), RANKS_PER_CHART):
        sl = slice(k, k + RANKS_PER_CHART)
        series = [s.model_copy(update={"values": s.values[sl], "low": s.low[sl] if s.low else None,
                                       "high": s.high[sl] if s.high else None}) for s in chart.series]
        parts.append(chart.model_copy(update={"categories": chart.categories[sl], "series": series}))
    return parts
