"""Report charts (matplotlib SVG): every kind draws from edge-case numbers without raising."""

from __future__ import annotations

import re

import pytest

from gaoxin.report.charts import svg
from gaoxin.services.report_model import Chart, Series


def test_a_rank_outside_its_interval_is_drawn_beside_it():
    """A 5–95 % rank interval is a quantile range: the nominal rank may lie outside it (found by the default
    demo, whose companion scoring has such zones). The chart draws the bar and the point, and says both."""
    c = Chart(id="r", kind="rank_interval", title="排名与排名区间", categories=["甲", "乙", "丙"], unit="名次",
              series=[Series(name="official", values=[1, 2, 3], low=[1, 3, None], high=[2, 5, None]),
                      Series(name="robust", values=[4, 1, None], low=[1, 2, 1], high=[3, 3, 2])])
    text = svg(c)
    assert text.startswith("<svg") and "名次" in text and "official" in text and "robust" in text  # legend: 2 series
    assert "nan" not in text.lower()


@pytest.mark.parametrize("kind", ["bar", "line", "radar", "waterfall", "scatter"])
def test_every_kind_draws_with_missing_values(kind):
    c = Chart(id="k", kind=kind, title="标题", categories=["a", "b", "c"], unit="分",
              series=[Series(name="s", values=[1.5, None, -2.0])])
    assert re.search(r"<svg", svg(c))


def test_charts_drawn_by_worker_processes_equal_the_serial_ones_in_order():
    from gaoxin.report.charts import PARALLEL_FROM, svg_many

    kinds = ["bar", "line", "radar", "waterfall", "scatter"]
    jobs = [(Chart(id=f"c{i}", kind=kinds[i % 5], title=f"图 {i}", categories=["a", "b", "c"], unit="分",
                   series=[Series(name="s", values=[float(i), None, 2.0])]), 6.3 if i % 2 else 3.15)
            for i in range(PARALLEL_FROM + 3)]
    serial = svg_many(jobs, workers=1)
    assert svg_many(jobs, workers=3) == serial
    assert len(set(serial)) == len(jobs) and all(f"图 {i}" in t for i, t in enumerate(serial))
