"""Small shared pieces of the report builders: bilingual labels, cell conversion, table assembly.

Kept apart from ``services.report`` so the section builders (national chapters, zone pages, disclosure)
share one way of turning service results into ``report_model`` tables: missing → None (printed "—"),
never NaN, and labels in the report's language.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from gaoxin.services.report_model import Cell, Column, ColumnKind, Table

Lang = Literal["zh", "en"]

STATUS = {"praise": ("通报表扬", "Commended"), "warning_interview": ("约谈警告", "Warning: interview"),
          "warning_notice": ("通报警告", "Warning: public notice"),
          "exit_recommended": ("建议退出", "Exit recommended"), "normal": ("正常", "Normal")}
WARNED = ("warning_interview", "warning_notice", "exit_recommended")
REGION_EN = {"east": "East", "central": "Central", "west": "West", "northeast": "Northeast"}


def tr(lang: Lang, zh: str, en: str) -> str:
    """The label in the report's language."""
    return zh if lang == "zh" else en


def num(x: Any) -> float | None:
    """A float for a table cell, None for missing (None, NaN, NA, inf)."""
    if x is None or isinstance(x, str):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def integer(x: Any) -> int | None:
    v = num(x)
    return None if v is None else round(v)


def scaled(x: Any, factor: float) -> float | None:
    v = num(x)
    return None if v is None else v * factor


def cell(x: Any) -> Cell:
    """Any value as a table cell (numpy scalars → Python, NaN → None)."""
    if x is None or isinstance(x, str | bool):
        return x if not isinstance(x, bool) else int(x)
    if isinstance(x, int):
        return x
    return num(x)


def col(key: str, label: str, kind: ColumnKind = "text", unit: str = "", decimals: int = 2) -> Column:
    """A column whose header carries its unit ("得分（分）")."""
    shown = f"{label}（{unit}）" if unit and "（" not in label else label
    return Column(key=key, label=shown, unit=unit, kind=kind, decimals=decimals)


def table(tid: str, title: str, columns: list[Column], rows: list[list[Any]], *,
          suppressed: list[tuple[int, int]] | None = None, notes: list[str] | None = None) -> Table:
    return Table(id=tid, title=title, columns=columns, rows=[[cell(v) for v in r] for r in rows],
                 suppressed=sorted(suppressed or []), notes=list(notes or []))


def region_label(code: Any, lang: Lang, labels: dict[str, str]) -> str | None:
    if code is None:
        return None
    return labels.get(str(code), str(code)) if lang == "zh" else REGION_EN.get(str(code), str(code))


def status_label(status: str | None, lang: Lang) -> str | None:
    if status is None:
        return None
    zh, en = STATUS.get(status, (status, status))
    return tr(lang, zh, en)


def fmt(x: Any, decimals: int = 1) -> str:
    """A number in running text ("—" when missing)."""
    v = num(x)
    return "—" if v is None else f"{v:,.{decimals}f}"
