"""Charts of a report as SVG text, drawn by matplotlib from a ``report_model.Chart`` (issue #11 §1).

- The CJK font is Debian's ``fonts-noto-cjk``, found by family name through matplotlib's font manager (no
  path in the code); a machine without it gets a clear error naming the package (``make report-libs``).
- SVG text stays text (``svg.fonttype = none``) so the PDF keeps it searchable and WeasyPrint sets it in the
  same font as the body.
- Deterministic: ``svg.hashsalt`` fixed and no date in the metadata, so the same chart gives the same bytes.
- Every value axis names its unit (``Chart.unit``). Missing values (None) are gaps, never zeros.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from gaoxin.services.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from gaoxin.services.report_model import Chart

FONT_FAMILY = "Noto Sans CJK SC"
WIDTH_IN = 6.3  # the A4 text block (≈ 170 mm)
COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0")
RANKS_PER_CHART = 40  # a rank-interval chart longer than this is split (one page each)
PARALLEL_FROM = 24  # fewer charts than this are drawn in this process (a worker's start-up costs ≈ 1 s)


class ChartError(InputError):
    """A chart that cannot be drawn (font missing, unknown kind): the user's one-line error."""


def _font() -> str:
    from matplotlib import font_manager

    try:
        font_manager.findfont(font_manager.FontProperties(family=FONT_FAMILY), fallback_to_default=False)
    except ValueError:
        raise ChartError(f"未找到中文字体 {FONT_FAMILY}：请安装 Debian 的 fonts-noto-cjk（make report-libs）/ CJK font "
                         f"{FONT_FAMILY} not found: install Debian's fonts-noto-cjk (make report-libs)") from None
    return FONT_FAMILY


def _style() -> dict[str, object]:
    return {"font.family": [_font()], "font.size": 8.5, "svg.fonttype": "none", "svg.hashsalt": "gaoxin",
            "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 9.5,
            "axes.unicode_minus": False, "figure.dpi": 72}


def split(chart: Chart) -> list[Chart]:
    """A rank-interval chart of many zones as several charts (each ≤ ``RANKS_PER_CHART`` zones)."""
    if chart.kind != "rank_interval" or len(chart.categories) <= RANKS_PER_CHART:
        return [chart]
    parts = []
    for k in range(0, len(chart.categories), RANKS_PER_CHART):
        sl = slice(k, k + RANKS_PER_CHART)
        series = [s.model_copy(update={"values": s.values[sl], "low": s.low[sl] if s.low else None,
                                       "high": s.high[sl] if s.high else None}) for s in chart.series]
        parts.append(chart.model_copy(update={"id": f"{chart.id}:{k // RANKS_PER_CHART + 1}",
                                              "categories": chart.categories[sl], "series": series}))
    return parts


def svg(chart: Chart, width_in: float = WIDTH_IN) -> str:
    """The chart as an SVG document (text), ``width_in`` inches wide (the figure before tight cropping)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    draw = {"bar": _bar, "line": _line, "radar": _radar, "waterfall": _waterfall, "rank_interval": _intervals,
            "scatter": _scatter}.get(chart.kind)
    if draw is None:
        raise ChartError(f"未知图表类型 / unknown chart kind {chart.kind!r}")
    with plt.rc_context(_style()):
        fig = draw(chart)
        fig.set_figwidth(width_in)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def svg_many(jobs: list[tuple[Chart, float]], workers: int | None = None) -> list[str]:
    """``svg(chart, width)`` of every job, in order; a long list is shared with worker processes.

    matplotlib holds the GIL (≈ 0.13 s per chart: the 514 charts of the national report took 69 s in one
    process), so processes, not threads. Each worker is ``python -m gaoxin.report.chart_worker`` (not
    ``multiprocessing``, which re-runs the caller's main module and must not copy a server's DuckDB
    connection by ``fork``); this process draws the first share meanwhile. The SVG does not depend on the
    process that drew it (fixed hash salt, no date), so the output equals the serial one. A worker that
    cannot start or fails leaves its share to this process (decision 0040).
    """
    import os
    import pickle
    import subprocess
    import sys

    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers < 2 or len(jobs) < PARALLEL_FROM:
        return [svg(c, w) for c, w in jobs]
    size = -(-len(jobs) // workers)
    shares = [jobs[k:k + size] for k in range(0, len(jobs), size)]
    procs: list[subprocess.Popen | None] = []
    for share in shares[1:]:
        try:
            p = subprocess.Popen([sys.executable, "-m", "gaoxin.report.chart_worker"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert p.stdin is not None
            p.stdin.write(pickle.dumps([(c.model_dump(), w) for c, w in share]))
            p.stdin.close()
            procs.append(p)
        except OSError:
            procs.append(None)
    out = [svg(c, w) for c, w in shares[0]]
    for share, p in zip(shares[1:], procs, strict=True):
        texts = None
        if p is not None:
            assert p.stdout is not None
            data = p.stdout.read()
            if p.wait() == 0:
                texts = pickle.loads(data)  # our own child's output, not user input
        out += texts if texts is not None and len(texts) == len(share) else [svg(c, w) for c, w in share]
    return out


def _figure(height: float, polar: bool = False) -> tuple[Figure, Axes]:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(WIDTH_IN, height))
    ax = fig.add_subplot(111, polar=polar)
    return fig, ax


def _vals(values: list[float | None]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def _bar(c: Chart) -> Figure:
    import numpy as np

    fig, ax = _figure(2.8)
    n, k = len(c.categories), max(len(c.series), 1)
    x = np.arange(n)
    w = 0.8 / k
    for i, s in enumerate(c.series):
        ax.bar(x + (i - (k - 1) / 2) * w, _vals(s.values), w, label=s.name, color=COLOURS[i % len(COLOURS)])
    ax.set_xticks(x, c.categories, rotation=30 if n > 6 else 0, ha="right" if n > 6 else "center")
    ax.set_ylabel(c.unit)
    ax.set_title(c.title, pad=20 if k > 1 else 6)
    if k > 1:  # above the bars, under the title
        ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=k, borderaxespad=0.2)
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    return fig


def _line(c: Chart) -> Figure:
    fig, ax = _figure(2.6)
    for i, s in enumerate(c.series):
        ax.plot(c.categories, _vals(s.values), marker="o", label=s.name, color=COLOURS[i % len(COLOURS)])
    ax.set_ylabel(c.unit)
    ax.set_title(c.title)
    if len(c.series) > 1:
        ax.legend(frameon=False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    return fig


def _scatter(c: Chart) -> Figure:
    fig, ax = _figure(3.0)
    for i, s in enumerate(c.series):
        ax.scatter(range(len(s.values)), _vals(s.values), label=s.name, color=COLOURS[i % len(COLOURS)], s=12)
    ax.set_xticks(range(len(c.categories)), c.categories, rotation=30, ha="right")
    ax.set_ylabel(c.unit)
    ax.set_title(c.title)
    return fig


def _radar(c: Chart) -> Figure:
    import numpy as np

    fig, ax = _figure(2.9, polar=True)
    n = len(c.categories)
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False).tolist()
    for i, s in enumerate(c.series):
        v = _vals(s.values)
        ax.plot([*angles, angles[0]], [*v, v[0]], color=COLOURS[i % len(COLOURS)], label=s.name, linewidth=1.2)
        ax.fill([*angles, angles[0]], [*v, v[0]], color=COLOURS[i % len(COLOURS)], alpha=0.12)
    ax.set_xticks(angles, [_wrap(x, 7) for x in c.categories], fontsize=7)
    ax.set_ylim(0, 100 if all((x or 0) <= 100 for s in c.series for x in s.values) else None)
    ax.set_rlabel_position(90)
    ax.set_title(f"{c.title}（{c.unit}）" if c.unit else c.title, pad=16)
    ax.tick_params(axis="y", labelsize=6.5)
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=7)
    return fig


def _wrap(text: str, width: int) -> str:
    """CJK labels have no spaces: break every ``width`` characters (Latin text at spaces)."""
    if " " in text:
        import textwrap

        return "\n".join(textwrap.wrap(text, width * 2))
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def _waterfall(c: Chart) -> Figure:
    """First and last categories are levels (the scores); those between are changes, drawn from the running
    level (green up, red down)."""
    fig, ax = _figure(2.3)
    v = [0.0 if x is None else float(x) for x in c.series[0].values] if c.series else []
    level = 0.0
    for i, x in enumerate(v):
        total = i in (0, len(v) - 1)
        bottom = 0.0 if total else (level if x >= 0 else level + x)
        colour = "#7f7f7f" if total else ("#548235" if x >= 0 else "#c00000")
        ax.bar(i, abs(x) if not total else x, bottom=bottom, color=colour, width=0.6)
        ax.annotate(f"{x:+.1f}" if not total else f"{x:.1f}", (i, bottom + (abs(x) if not total else x)),
                    ha="center", va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
        level = x if total else level + x
    ax.set_xticks(range(len(v)), [_wrap(x, 6) for x in c.categories], fontsize=7)
    ax.set_ylabel(c.unit)
    ax.set_title(c.title)
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    ax.axhline(0, color="#444444", linewidth=0.6)
    return fig


def _intervals(c: Chart) -> Figure:
    """One row per zone (best first): the rank as a point, its 5–95 % interval as a bar; series side by side."""
    import numpy as np

    n, k = len(c.categories), max(len(c.series), 1)
    fig, ax = _figure(max(1.6, 0.2 * n + 0.8))
    y = np.arange(n)
    for i, s in enumerate(c.series):
        off = (i - (k - 1) / 2) * 0.3
        v = np.array(_vals(s.values))
        lo = np.array(_vals(s.low)) if s.low else v
        hi = np.array(_vals(s.high)) if s.high else v
        colour = COLOURS[i % len(COLOURS)]
        # the interval as its own bar: a rank may lie outside its 5–95 % interval (a quantile range, not a
        # band around the point), so it is not drawn as error bars around the point
        has = ~(np.isnan(lo) | np.isnan(hi))
        ax.hlines(y[has] + off, lo[has], hi[has], color=colour, linewidth=1)
        ax.plot(v, y + off, "o", markersize=3, color=colour, label=s.name)
    ax.set_yticks(y, c.categories, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(c.unit)
    ax.set_title(c.title, pad=22 if k > 1 else 6)
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    if k > 1:  # above the axes, under the title: never over a zone's interval
        ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=k, borderaxespad=0.2)
    return fig
