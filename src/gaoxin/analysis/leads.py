"""A user-supplied list of public firm data as the lead source of a chain gap analysis (issue #9 §5).

Store leads are other zones' statistical returns and are shown by viewer scope; a list the user loads holds
public data (firm lists from annual reports, exchanges, industry associations), so every viewer sees it in
full.  Its firms are assigned to chain nodes by the same expression as the store's firms
(:func:`gaoxin.analysis.chains.assign_rows`).  This module validates the cells (strings, as read) and says
for every problem the file, the row the user sees (the header is row 1), the column and the value.

Columns (header in Chinese or English; money headers may carry a unit, 千元 when they do not):

================  ==========================================  ========
canonical         headers                                     required
================  ==========================================  ========
name              企业名称, 名称, name                          yes
credit_code       统一社会信用代码, 信用代码, credit_code        no (GB 32100 check when given)
province          省份, 省份代码, 所在省份, province             yes (GB/T 2260 code or name)
zone              园区, 园区代码, 所在园区, zone                  no
industry_code     行业代码, 国民经济行业代码, industry_code      no (2–4 digits of GB/T 4754-2017)
revenue           营业收入, revenue                             no (≥ 0)
employees         从业人员, 年末从业人员, employees              no (whole number ≥ 0)
rd_expense        研发费用, 研发经费, R&D经费内部支出, rd_expense  no (≥ 0)
================  ==========================================  ========
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("企业名称", "名称", "单位名称", "name"),
    "credit_code": ("统一社会信用代码", "信用代码", "credit_code", "creditcode"),
    "province": ("省份", "省份代码", "所在省份", "省", "province"),
    "zone": ("园区", "园区代码", "所在园区", "zone", "zone_id"),
    "industry_code": ("行业代码", "国民经济行业代码", "industry_code", "industrycode"),
    "revenue": ("营业收入", "revenue"),
    "employees": ("从业人员", "年末从业人员", "从业人员数", "employees"),
    "rd_expense": ("研发费用", "研发经费", "r&d经费内部支出", "研发经费内部支出", "rd_expense"),
}
REQUIRED = ("name", "province")
MONEY = ("revenue", "rd_expense")
MISSING = {"", "—", "——", "-", "--", "…", "……", "...", "/", "na", "n/a", "null", "none", "nan"}
MAX_PROBLEMS = 50
_UNIT_RE = re.compile(r"^(?P<base>.*?)[(\[](?P<unit>[^()\[\]]*)[)\]]$")


@dataclass
class LeadList:
    """Validated leads (one row per firm: ``lead_id`` plus the canonical columns) and what was ignored."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def _header(h: str, money: dict[str, float]) -> tuple[str | None, float, str | None]:
    """(canonical column, unit factor, problem) of one header."""
    n = _norm(h)
    index = {_norm(a): c for c, aliases in COLUMNS.items() for a in aliases}
    if n in index:
        return index[n], 1.0, None
    m = _UNIT_RE.match(n)
    if m and m.group("base") in index:
        col, unit = index[m.group("base")], m.group("unit")
        if col in MONEY:
            if unit in money:
                return col, money[unit], None
            return col, 1.0, f"金额单位「{unit}」无效 / unknown money unit {unit!r} (元, 千元, 万元, 亿元 …)"
        if col == "employees" and unit in ("人", ""):
            return col, 1.0, None
        return col, 1.0, f"该列不应带单位「{unit}」/ column takes no unit {unit!r}"
    return None, 1.0, None


def _province(v: str, provinces: dict[str, dict[str, str]]) -> str | None:
    if v.isdigit() and v[:2] in provinces and len(v) in (2, 6):
        return v[:2]
    for code, p in provinces.items():
        name = p["name"]
        if v == name or (v.startswith(name) and v[len(name):] in ("省", "市", "自治区", "壮族自治区", "回族自治区",
                                                                   "维吾尔自治区", "特别行政区")):
            return code
    return None


def validate(raw: pd.DataFrame, source: str, provinces: dict[str, dict[str, str]],
             money: dict[str, float]) -> tuple[LeadList | None, list[str]]:
    """Cells of a lead file (strings, header = the frame's columns) → (leads, []) or (None, problems)."""
    import numpy as np
    import pandas as pd

    from gaoxin.ingest.credit_code import why_invalid

    problems: list[str] = []
    notes: list[str] = []
    cols: dict[str, tuple[str, float]] = {}
    for h in raw.columns:
        col, factor, why = _header(str(h), money)
        if why:
            problems.append(f"{source} 列「{h}」: {why}")
        if col is None:
            notes.append(f"{source} 列「{h}」未识别，已忽略 / column {h!r} not recognised: ignored")
        elif col in cols:
            problems.append(f"{source} 列「{h}」与「{cols[col][0]}」重复 / column {h!r} repeats {cols[col][0]!r}")
        else:
            cols[col] = (str(h), factor)
    for c in REQUIRED:
        if c not in cols:
            problems.append(f"{source} 缺少必填列「{COLUMNS[c][0]}」/ required column {c!r} is missing "
                            f"(headers: {', '.join(COLUMNS[c])})")
    if problems:
        return None, problems
    out = pd.DataFrame({"lead_id": [f"lead:{i + 2}" for i in range(len(raw))], "row": np.arange(len(raw)) + 2})

    def cell(i: int, c: str) -> str | None:
        v = raw.iloc[i][cols[c][0]]
        t = "" if v is None or (isinstance(v, float) and np.isnan(v)) else unicodedata.normalize("NFKC", str(v))
        t = t.strip()
        return None if t.lower() in MISSING else t

    def bad(i: int, c: str, v: str, zh: str, en: str) -> None:
        problems.append(f"{source} 第{i + 2}行 列「{cols[c][0]}」值「{v}」：{zh} / row {i + 2} column "
                        f"{cols[c][0]!r} value {v!r}: {en}")

    values: dict[str, list] = {c: [None] * len(raw) for c in COLUMNS}
    for i in range(len(raw)):
        for c in COLUMNS:
            if c not in cols:
                continue
            v = cell(i, c)
            if v is None:
                if c in REQUIRED:
                    problems.append(f"{source} 第{i + 2}行 列「{cols[c][0]}」为空 / row {i + 2} column "
                                    f"{cols[c][0]!r}: required value missing")
                continue
            if c == "credit_code":
                v = v.upper()
                why = why_invalid(v)
                if why:
                    bad(i, c, v, "统一社会信用代码无效", f"invalid credit code ({why})")
                    continue
            elif c == "province":
                p = _province(v, provinces)
                if p is None:
                    bad(i, c, v, "不是省份代码或名称", "not a GB/T 2260 province code or name")
                    continue
                v = p
            elif c == "industry_code":
                if not (v.isdigit() and 2 <= len(v) <= 4):
                    bad(i, c, v, "行业代码应为2–4位数字", "industry code must be 2–4 digits (GB/T 4754-2017)")
                    continue
            elif c in (*MONEY, "employees"):
                try:
                    x = float(v.replace(",", ""))
                except ValueError:
                    bad(i, c, v, "不是数字", "not a number")
                    continue
                if not np.isfinite(x) or x < 0:
                    bad(i, c, v, "应为非负数", "must be a finite number ≥ 0")
                    continue
                if c == "employees" and x != int(x):
                    bad(i, c, v, "应为整数", "must be a whole number")
                    continue
                v = x * cols[c][1]
            values[c][i] = v
        if len(problems) >= MAX_PROBLEMS:
            problems.append(f"{source}: 问题过多，仅列出前{MAX_PROBLEMS}个 / too many problems: first {MAX_PROBLEMS}")
            return None, problems
    for c in COLUMNS:
        out[c] = pd.Series(values[c], dtype="float64" if c in (*MONEY, "employees") else object)
    codes = out["credit_code"].dropna()
    for code in sorted(set(codes[codes.duplicated()])):
        rows = out.loc[out["credit_code"] == code, "row"].tolist()
        problems.append(f"{source} 统一社会信用代码「{code}」重复（第{'、'.join(map(str, rows))}行）/ credit code "
                        f"{code} repeated in rows {', '.join(map(str, rows))}")
    if len(out) == 0:
        problems.append(f"{source} 没有数据行 / the lead file has no data rows")
    return (None, problems) if problems else (LeadList(out, notes), [])


def gap_leads(matches: pd.DataFrame, zone: str, gap_nodes: list[str], n: int) -> pd.DataFrame:
    """For each gap node the ``n`` largest-revenue listed firms at it (revenue unknown last), not in ``zone``."""
    c = matches[matches["node"].isin(gap_nodes) & (matches["zone_id"].fillna("") != zone)]
    c = c.sort_values(["node", "revenue", "row"], ascending=[True, False, True], na_position="last",
                      kind="stable")
    return c.groupby("node", as_index=False).head(n).reset_index(drop=True)
