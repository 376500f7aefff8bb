"""Which tests ``make test-fast`` leaves out: those measured slow, listed in ``tests/measured-slow.txt``.

``make test`` runs every test. ``make test-fast`` runs those not marked slow, and should take about a
minute on 2 cores (issue #6). Besides the explicit ``@pytest.mark.slow`` marks, ``conftest.py`` marks as
slow every test that uses the demo store (building it alone takes most of a minute) and every test named in
``measured-slow.txt``. To regenerate the list from a run on the machine at hand::

    .venv/bin/python -m pytest -q -m "not slow" -n 1 --durations=0 tests > /tmp/durations.txt
    .venv/bin/python tests/measured_slow.py /tmp/durations.txt --over 1.0 > tests/measured-slow.txt

and, after a ``make test-fast`` run with ``--durations=50``, once more with both files: tests that share a
module fixture pay its setup in whichever of them runs first, so a second run finds the next one.

A test is listed when its setup + call + teardown took more than ``--over`` seconds in one of those runs;
a module is listed whole when a setup took that long (a fixture its tests share would only move on to the
next test of the module). The figures of 2026-12-02 were taken on a loaded machine, ≈ 3–5× slower than a
quiet one.
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

LIST = Path(__file__).with_name("measured-slow.txt")
LINE = re.compile(r"\s*([\d.]+)s (call|setup|teardown)\s+(tests/\S+)")


def is_listed(nodeid: str, entries: frozenset[str]) -> bool:
    """A node id listed itself, or its module listed whole (an entry without ``::``)."""
    return nodeid in entries or nodeid.split("::")[0] in entries


def listed() -> frozenset[str]:
    """The entries of the list: node ids, or module paths (comments and blank lines skipped)."""
    if not LIST.exists():
        return frozenset()
    return frozenset(s for s in (x.strip() for x in LIST.read_text(encoding="utf-8").splitlines())
                     if s and not s.startswith("#"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("durations", type=Path, nargs="+", help="pytest output of --durations runs (any listed in one)")
    ap.add_argument("--over", type=float, default=2.0, help="seconds (setup + call + teardown)")
    args = ap.parse_args()
    slow: set[str] = set()
    for path in args.durations:  # a later run shows the module fixtures the earlier list moved to other tests
        total: collections.Counter[str] = collections.Counter()
        for line in path.read_text(encoding="utf-8").splitlines():
            if m := LINE.match(line):
                seconds, phase, node = float(m.group(1)), m.group(2), m.group(3)
                total[node] += seconds
                if phase == "setup" and seconds > args.over:  # a shared fixture: the whole module
                    slow.add(node.split("::")[0])
        slow |= {k for k, v in total.items() if v > args.over}
    names = ", ".join(p.name for p in args.durations)
    print(f"# tests over {args.over} s (setup + call + teardown) in {names}; regenerate: tests/measured_slow.py")
    for node in sorted(slow):
        print(node)


if __name__ == "__main__":
    main()
