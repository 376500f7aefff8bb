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


def png(chart: Chart, width_in: float = 6.3, height_in: float = 3.4, dpi: int = 150) -> bytes:
    """The chart drawn with matplotlib (Agg), as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": [font_family(), "DejaVu Sans"], "font.size": 9,
                                "axes.unicode_minus": False, "svg.hashsalt": "gaoxin"}):
        fig = Figure(figsize=(width_in, height_in), dpi=dpi)
        if chart.kind == "radar":
            _radar(fig, chart)
        else:
            ax = fig.add_subplot(111)
            DRAW.get(chart.kind, _bar)(ax, chart)
            ax.set_ylabel(chart.unit or "")
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)
            ax.set_axisbelow(True)
            if len(chart.series) > 1:
                ax.legend(fontsize=8, frameon=False)
            _tick_labels(ax, chart)
        fig.suptitle(chart.title, fontsize=10)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
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
    """Each contribution as a bar starting where the previous ones ended (up green, down red)."""
    values = [v or 0.0 for v in (chart.series[0].values if chart.series else [])]
    bottom = 0.0
    for x, v in enumerate(values):
        ax.bar(x, v, bottom=bottom, color="#548235" if v >= 0 else "#C00000", width=0.6)
        bottom += v
    ax.axhline(0, color="#666666", linewidth=0.6)


def _rank_interval(ax: Any, chart: Chart) -> None:
    """The nominal rank as a point, the 5–95 % interval as a bar through it; rank 1 on top."""
    for i, s in enumerate(chart.series):
        for x, v in enumerate(s.values):
            lo = s.low[x] if s.low is not None and x < len(s.low) else None
            hi = s.high[x] if s.high is not None and x < len(s.high) else None
            if lo is not None and hi is not None:
                ax.vlines(x, lo, hi, color="#9DC3E6", linewidth=4)
            if v is not None:
                ax.plot(x, v, "o", color=COLOURS[i % len(COLOURS)], markersize=3)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.invert_yaxis()


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
    ax.set_xticks(angles)
    ax.set_xticklabels(chart.categories, fontsize=8)
    ax.set_yticks(ax.get_yticks())  # fixed ticks: the unit goes into the caption under the figure
    if len(chart.series) > 1:
        ax.legend(fontsize=8, frameon=False, loc="upper right", bbox_to_anchor=(1.3, 1.1))


def _tick_labels(ax: Any, chart: Chart) -> None:
    n = len(chart.categories)
    ax.set_xticks(_xs(chart))
    step = max(1, n // 30)  # a national chart of 180 zones: every 6th label, never overlapping text
    labels = [c if k % step == 0 else "" for k, c in enumerate(chart.categories)]
    rotate = n > 6 or max((len(c) for c in chart.categories), default=0) > 6
    ax.set_xticklabels(labels, rotation=60 if rotate else 0, ha="right" if rotate else "center", fontsize=7)


DRAW = {"bar": _bar, "line": _line, "scatter": _scatter, "waterfall": _waterfall, "rank_interval": _rank_interval}
