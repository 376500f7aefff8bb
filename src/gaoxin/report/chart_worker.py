"""A chart-drawing worker for ``report.charts.svg_many``: reads pickled ``[(chart dict, width), …]`` on
stdin, writes the pickled list of SVG texts on stdout (one process per share of a long report's charts)."""

from __future__ import annotations

import pickle
import sys


def main() -> None:
    from gaoxin.report.charts import svg
    from gaoxin.services.report_model import Chart

    jobs = pickle.loads(sys.stdin.buffer.read())  # written by svg_many in the parent process
    sys.stdout.buffer.write(pickle.dumps([svg(Chart.model_validate(c), w) for c, w in jobs]))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
