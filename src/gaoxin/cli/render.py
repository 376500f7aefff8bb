"""Terminal output: Rich tables that never cut a name, missing values as "—", one JSON serialisation.

Tables fold long cells instead of ending them with "…" and give name-like
columns (zone names, labels) the width of their longest value, so Chinese names
show in full at 80 columns.  ``--json`` prints the same rows through
:func:`to_jsonable`, which the web layer will share.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(stderr=True)  # messages, progress
out = Console()  # results
MISSING = "—"
SHORT = 20
NAME_HINTS = ("name", "名称", "园区 zone")


def is_missing(v: Any) -> bool:
    """None, NaN, pandas NA/NaT; pandas is consulted only for its own and numpy's scalars (start-up cost)."""
    if v is None:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, str | bytes | int | list | dict | tuple):
        return False
    if type(v).__module__.split(".")[0] in ("pandas", "numpy"):
        import pandas as pd

        try:
            return bool(pd.isna(v))
        except (TypeError, ValueError):
            return False
    return False


def fmt(v: Any, spec: str | None = None) -> str:
    """One cell: missing → "—", floats to 4 significant digits (thousands separated), ints as they are."""
    if is_missing(v):
        return MISSING
    if spec:
        return format(v, spec)
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) or type(v).__name__.startswith("float"):
        f = float(v)
        if math.isinf(f):
            return "∞" if f > 0 else "-∞"
        return f"{f:,.0f}" if abs(f) >= 1e4 else f"{f:.4g}"
    if isinstance(v, dt.datetime):
        return f"{v:%Y-%m-%d %H:%M:%S}"
    return str(v)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, right: Sequence[str] = (),
          formats: dict[str, str] | None = None, names: Sequence[str] = (), width: int | None = None) -> Table:
    """A Rich table that cuts no cell and no header.

    Short cells (codes, numbers, dates: ≤ ``SHORT`` display columns) and name columns get a fixed width,
    that of their longest value or header word, so they never wrap (headers wrap between words); long
    free text (reasons) folds onto more lines.  When that is wider than the terminal, bilingual headers
    ("基期 baseline") keep their Chinese word only; :func:`show` prints a table that still does not fit
    wider than the terminal rather than crop it.
    """
    rows = [list(r) for r in rows]
    formats = formats or {}
    cells = [[fmt(v, formats.get(h)) for h, v in zip(headers, r, strict=True)] for r in rows]
    width = width or out.width
    t = _layout(title, headers, cells, right, names, short_headers=False)
    if t.min_width_needed > width:  # type: ignore[attr-defined]
        t = _layout(title, headers, cells, right, names, short_headers=True)
    return t


def _short(header: str) -> str:
    first = header.split()[0] if header.split() else header
    return first if _width(first) > len(first) else header  # keep the Chinese word of "中文 english"


def _layout(title: str, headers: Sequence[str], cells: list[list[str]], right: Sequence[str],
            names: Sequence[str], short_headers: bool) -> Table:
    t = Table(title=title, title_justify="left")
    fixed = 1
    for i, h in enumerate(headers):
        label = _short(h) if short_headers else h
        longest = max([_width(c[i]) for c in cells] or [1])
        head = max([_width(w) for w in label.split()] or [1])
        keep = h in names or longest <= SHORT or (any(k in h for k in NAME_HINTS) and longest <= 2 * SHORT)
        w = max(longest, head) if keep else None
        fixed += (w or max(head, 12)) + 3
        t.add_column(label, justify="right" if h in right else "left", overflow="fold", width=w)
    for c in cells:
        t.add_row(*c)
    t.min_width_needed = fixed  # type: ignore[attr-defined]
    return t


def frame(df, title: str, *, limit: int | None = None, formats: dict[str, str] | None = None,
          names: Sequence[str] = ()) -> None:
    """Print a frame as a table (first ``limit`` rows, saying how many more there are)."""
    shown = df if limit is None else df.head(limit)
    right = [str(c) for c in df.columns if str(df[c].dtype) not in ("object", "string", "str", "category")]
    show(table(title, [str(c) for c in df.columns], shown.itertuples(index=False), right=right,
               formats=formats, names=names))
    if limit is not None and len(df) > limit:
        console.print(f"… 另有 {len(df) - limit} 行，完整结果请用 --out 或 --json / {len(df) - limit} more rows: "
                      "use --out or --json for all")


def show(t: Table, console_: Console | None = None) -> None:
    """Print a table; one still wider than the terminal is printed uncropped rather than cut at the edge."""
    c = console_ or out
    need = getattr(t, "min_width_needed", 0)
    if need > c.width:  # a wider console on the same stream: long lines, nothing cut
        Console(file=c.file, width=need, force_terminal=c.is_terminal, color_system=c.color_system).print(t)
    else:
        c.print(t)


def to_jsonable(obj: Any) -> Any:
    """Frames → list of records, dataclasses → dicts, NaN → null, timestamps → ISO text."""
    if hasattr(obj, "to_dict") and not hasattr(obj, "to_frame") and not hasattr(obj, "columns"):
        return to_jsonable(obj.to_dict())
    if hasattr(obj, "columns") and hasattr(obj, "to_dict"):  # a DataFrame
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dt.datetime | dt.date):
        return obj.isoformat()
    if hasattr(obj, "item") and not isinstance(obj, str):  # numpy scalar
        obj = obj.item()
    if is_missing(obj):
        return None
    if isinstance(obj, float) and math.isinf(obj):
        return None
    return obj


def print_json(obj: Any) -> None:
    print(json.dumps(to_jsonable(obj), ensure_ascii=False, default=str))
