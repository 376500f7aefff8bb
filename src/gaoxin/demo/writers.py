"""Writing the demo files: column types, Arrow tables, defects applied as text, and the CSV and xlsx sinks.

CSV (UTF-8, UTF-8 with BOM or GBK) is written with ``pyarrow.csv`` as
fixed-point decimals, quoting only fields that need it; xlsx with xlsxwriter
in constant-memory mode under a title row, with fixed metadata so that the
same arguments give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from gaoxin.demo import dirty as _dirty
from gaoxin.demo.zones import FACT_HEADERS, ZONE_HEADERS
from gaoxin.ingest import contract

XLSX_MAX_ROWS = 1_048_576
TITLE = "示例高新区企业年报（合成数据，非真实）"
TITLES = {
    "zones": "示例高新区名录（合成数据，非真实）",
    "enterprises": TITLE,
    "zone_facts": "示例高新区园区指标（合成数据，非真实）",
}
SHEETS = {"zones": "园区", "enterprises": "企业", "zone_facts": "园区指标"}

ENTERPRISE_COLUMNS = [c.name for c in contract.tables()["enterprises"].columns]
MONEY = {
    "revenue", "industrial_output", "value_added", "net_profit", "taxes", "exports",
    "tech_service_exports", "high_tech_product_revenue", "new_product_revenue", "total_assets",
    "total_liabilities", "equity_financing", "rd_expense", "tech_contract_turnover", "wages",
    "tech_import_expense", "assimilation_expense", "cooperation_expense",
}  # fmt: skip
ONE_DECIMAL = MONEY | {
    "valuation_usd_m",
    "rd_personnel_fte",
    "land_area_mu",
    "energy_tce",
    "electricity_mwh",
}
TWO_DECIMALS = {"emissions_t"}
BOOLS = {"is_high_tech", "is_tech_sme", "is_listed", "is_domestic_controlled", "is_digital_industry",
         "has_national_rd_institution", "is_incubated"}
TEXT = {"credit_code", "name", "zone_id", "industry_code", "listing_board"}
NULLABLE_INT = {"listed_year"}  # blank when missing


# --------------------------------------------------------------------------- arrow


def _decimal(values: np.ndarray, scale: int) -> pa.Array:
    """Fixed-point Arrow decimals: CSV shows '12345.6', never '1.2e+11'."""
    v = np.asarray(values, dtype=float)
    valid = np.isfinite(v)
    unscaled = np.where(valid, np.rint(np.where(valid, v, 0) * 10**scale), 0).astype(np.int64)
    buf = np.empty((len(v), 2), dtype=np.int64)
    buf[:, 0] = unscaled
    buf[:, 1] = np.where(unscaled < 0, -1, 0)
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(
        pa.decimal128(18, scale),
        len(v),
        [bitmap, pa.py_buffer(buf)],
        null_count=int((~valid).sum()),
    )


_YES_NO = pa.array(["否", "是"])


def _arrow_column(name: str, v: np.ndarray) -> pa.Array:
    """The Arrow type a column is written with (decimals, 是/否, text or integers)."""
    if name in ONE_DECIMAL:
        return _decimal(v, 1)
    if name in TWO_DECIMALS:
        return _decimal(v, 2)
    if name in BOOLS:
        return _YES_NO.take(pa.array(v.astype(np.int8)))
    if name in TEXT:
        return pa.array(v, type=pa.string())
    if name in NULLABLE_INT:
        x = np.asarray(v, dtype=float)
        return pa.array(np.nan_to_num(x).astype(np.int64), mask=np.isnan(x))
    return pa.array(np.asarray(v, dtype=np.int64))


def enterprise_table(rows: dict[str, np.ndarray]) -> pa.Table:
    """Rows of ``simulate_chunk`` as an Arrow table in contract column order."""
    return pa.table({c: _arrow_column(c, rows[c]) for c in ENTERPRISE_COLUMNS})


def apply_defects(table: pa.Table, plan: _dirty.Plan, as_text: Iterable[str]) -> pa.Table:
    """Write the plan into the table: listed columns become text, defect rows get their text."""
    cols = {}
    for name in table.column_names:
        arr = table.column(name).combine_chunks()
        if name in as_text or plan.text.get(name):
            obj = pc.cast(arr, pa.string()).to_numpy(zero_copy_only=False).astype(object)
            for row, text in plan.text.get(name, {}).items():
                obj[row] = text
            arr = pa.array(obj, type=pa.string())
        cols[name] = arr
    out = pa.table(cols)
    if len(plan.duplicates):
        order = np.sort(np.concatenate([np.arange(out.num_rows), plan.duplicates]), kind="stable")
        out = out.take(pa.array(order))
    return out


# --------------------------------------------------------------------------- sinks


class _CsvSink:
    """Appends Arrow tables to a CSV file, quoting only fields that need it."""

    def __init__(self, path: Path, header: list[str], encoding: str):
        self.path, self.encoding = path, encoding
        self.fh = path.open("wb")
        self._emit(",".join(header) + "\n", first=True)

    def _emit(self, text: str | bytes, first: bool = False) -> None:
        """Write UTF-8 bytes as they are, or transcode them (GBK); a BOM only at the start."""
        if isinstance(text, bytes):
            if self.encoding.startswith("utf-8"):
                self.fh.write(text)
                return
            text = text.decode("utf-8")
        self.fh.write(text.encode(self.encoding if first else self.encoding.replace("-sig", "")))

    def write(self, table: pa.Table) -> None:
        marked = False
        cols = []
        for arr in table.columns:
            if pa.types.is_string(arr.type) and pc.any(pc.match_substring(arr, ",")).as_py():
                has = pc.match_substring(arr, ",")
                quoted = pc.binary_join_element_wise(
                    "", pc.replace_substring(arr, ",", "\x1f"), "", "\x1e"
                )
                arr = pc.if_else(has, quoted, arr)
                marked = True
            cols.append(arr)
        buf = pa.BufferOutputStream()
        opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(pa.table(cols, names=table.column_names), buf, opts)
        data = buf.getvalue().to_pybytes()
        if marked:
            data = data.replace(b"\x1e", b'"').replace(b"\x1f", b",")
        self._emit(data)

    def close(self) -> None:
        self.fh.close()


_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class _XlsxSink:
    """Writes rows under a title row with xlsxwriter in constant-memory mode."""

    def __init__(
        self, path: Path, sheet: str, title: str, header: list[str], numeric_text: set[str]
    ):
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        # Fixed metadata so that the same arguments give the same bytes.
        self.wb.set_properties({"created": dt.datetime(2020, 1, 1), "author": "gaoxin demo"})
        self.ws = self.wb.add_worksheet(sheet)
        self.ws.write_string(0, 0, title)
        self.ws.write_row(1, 0, header)
        self.row = 2
        self.numeric_text = numeric_text

    def write_rows(self, columns: list[list[Any]], names: list[str]) -> None:
        for j, name in enumerate(names):
            if name in self.numeric_text:  # clean numbers stay numbers; only defects are text
                columns[j] = [
                    float(v) if isinstance(v, str) and _PLAIN_NUMBER.match(v) else v
                    for v in columns[j]
                ]
        write_row = self.ws.write_row
        for r, values in enumerate(zip(*columns, strict=True), start=self.row):
            write_row(r, 0, values)
        self.row += len(columns[0]) if columns else 0

    def write(self, table: pa.Table) -> None:
        cols = []
        for arr in table.columns:
            if pa.types.is_decimal(arr.type):
                arr = pc.cast(arr, pa.float64())
            cols.append(arr.to_pylist())
        self.write_rows(cols, table.column_names)

    def close(self) -> None:
        self.wb.close()


# --------------------------------------------------------------------------- files


def write_zones(path: Path, rows: list[list[Any]], fmt: str, encoding: str) -> None:
    """The zones file from ``zones.zone_rows``: in CSV every value as text."""
    sink: _CsvSink | _XlsxSink
    if fmt == "csv":
        sink = _CsvSink(path, ZONE_HEADERS, encoding)
        sink.write(
            pa.table({h: pa.array([str(r[j]) for r in rows]) for j, h in enumerate(ZONE_HEADERS)})
        )
    else:
        sink = _XlsxSink(path, SHEETS["zones"], TITLES["zones"], ZONE_HEADERS, set())
        sink.write_rows([list(c) for c in zip(*rows, strict=True)], ZONE_HEADERS)
    sink.close()


def enterprise_sink(path: Path, fmt: str, encoding: str) -> _CsvSink | _XlsxSink:
    """An open enterprises file under the contract's Chinese headers; ``write`` it chunk by chunk."""
    header = [contract.chinese_header("enterprises", c) for c in ENTERPRISE_COLUMNS]
    return (
        _CsvSink(path, header, encoding)
        if fmt == "csv"
        else _XlsxSink(path, SHEETS["enterprises"], TITLE, header, {"revenue", "employees"})
    )


def write_zone_facts(path: Path, rows: list[list[Any]], fmt: str, encoding: str) -> None:
    """The zone_facts file from ``zones.zone_facts`` (long format)."""
    sink: _CsvSink | _XlsxSink
    if fmt == "csv":
        sink = _CsvSink(path, FACT_HEADERS, encoding)
        cols = list(zip(*rows, strict=True))
        sink.write(
            pa.table(
                {
                    FACT_HEADERS[0]: pa.array(cols[0]),
                    FACT_HEADERS[1]: pa.array(cols[1], type=pa.int64()),
                    FACT_HEADERS[2]: pa.array(cols[2]),
                    FACT_HEADERS[3]: pa.array([fact_text(v) for v in cols[3]]),
                }
            )
        )
    else:
        sink = _XlsxSink(path, SHEETS["zone_facts"], TITLES["zone_facts"], FACT_HEADERS, set())
        sink.write_rows([list(c) for c in zip(*rows, strict=True)], FACT_HEADERS)
    sink.close()


def fact_text(v: int | float) -> str:
    """A zone-fact value as CSV text: integers as they are, floats to at most 4 decimals."""
    return str(v) if isinstance(v, int) else f"{v:.4f}".rstrip("0").rstrip(".")
