"""Reading a user's lead list (CSV in UTF-8/GBK, or XLSX; first row = header) and assigning it to chain nodes.

Validation is :func:`gaoxin.analysis.leads.validate` (file, row, column, value in every message); the node
assignment is the store's own expression (:func:`gaoxin.analysis.chains.assign_rows`) over the list as an
in-memory table, run on the store's DuckDB connection.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gaoxin.services.errors import InputError
from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.analysis.chains import Chain
    from gaoxin.analysis.leads import LeadList

MAX_BYTES = 50 * 1024 * 1024  # a public firm list, not a statistical return: 50 MB is plenty


@dataclass(frozen=True)
class LoadedLeads:
    leads: LeadList
    name: str  # the file's name (shown as the lead source)
    sha256: str  # of the file's bytes (part of the stored result's rule hash)


def _raw(p: Path, data: bytes) -> pd.DataFrame:
    import io

    import pandas as pd

    if data[:4] == b"PK\x03\x04":
        try:
            return pd.read_excel(io.BytesIO(data), dtype=str, engine="calamine", keep_default_na=False)
        except Exception as e:  # a damaged workbook: one user error
            raise InputError(f"无法读取工作簿 / cannot read the workbook {p.name}: {e}") from None
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raise InputError(f"{p.name} 不是有效的 xlsx 工作簿 / {p.name} is not an xlsx workbook")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # gb18030 decodes any byte sequence; kept for clarity
        raise InputError(f"{p.name} 编码无法识别（应为 UTF-8 或 GBK）/ encoding not UTF-8 or GBK")
    try:
        first = text.split("\n", 1)[0]
        sep = max((",", "\t", ";", "，"), key=first.count)  # the header's delimiter (a one-column file: ",")
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep if first.count(sep) else ",")
    except Exception as e:  # a malformed CSV (unbalanced quotes …)
        raise InputError(f"无法解析 CSV / cannot parse {p.name} as CSV: {e}") from None


def read_leads(path: str | Path) -> LoadedLeads:
    """The validated lead list of ``path``; every problem (file, row, column, value) in one InputError."""
    from gaoxin.analysis.leads import validate
    from gaoxin.ingest.contract import provinces, units

    p = Path(path)
    if not p.is_file():
        raise InputError(f"线索文件不存在 / lead file not found: {path}")
    if p.stat().st_size > MAX_BYTES:
        raise InputError(f"线索文件过大（上限 50 MB）/ lead file {p.name} is larger than 50 MB")
    data = p.read_bytes()
    if not data.strip():
        raise InputError(f"线索文件为空 / the lead file {p.name} is empty")
    leads, problems = validate(_raw(p, data), p.name, provinces(), units()["money"])
    if leads is None:
        raise InputError("线索文件有误 / the lead file has problems:\n" + "\n".join(problems))
    return LoadedLeads(leads, p.name, hashlib.sha256(data).hexdigest())


def assign_leads(store: Store, loaded: LoadedLeads, chain: Chain) -> pd.DataFrame:
    """Lead × node matches: lead_id, row, name, credit_code, zone_id, province, industry_code, revenue,
    employees, rd_expense, node, method, nodes — by the store firms' assignment rule."""
    import ibis

    from gaoxin.analysis.chains import assign_rows
    from gaoxin.indicators.backend import duckdb_backend

    f = loaded.leads.frame.rename(columns={"zone": "zone_id"})
    f = f.astype({c: "string" for c in ("lead_id", "name", "credit_code", "zone_id", "province", "industry_code")})
    t = ibis.memtable(f)
    keep = ("lead_id", "row", "name", "credit_code", "zone_id", "province", "industry_code", "revenue", "employees",
            "rd_expense")
    return duckdb_backend(store.cursor()).execute(assign_rows(t, chain, keep, "lead_id"))
