"""Synthetic demo data: zones, enterprise-year returns and zone-year facts.

Why synthetic: no public firm-level data of the zones exists, yet every stage
(ingest, indicators, evaluation, reports) needs realistic input at realistic
scale.  The files follow the input contract (shared/data-contract.md) with the
Chinese headers and units of real returns, the aggregates match the published
2020 ratios of the national zones (``data/calibration.toml``), and
``dirty=p`` adds the defects real returns have.  Nothing here is real: zone
and firm names are "示例…" and codes are random but check-digit valid.

Scale: firms are simulated and written in chunks (``CHUNK_FIRM_YEARS``) with numpy
and pyarrow, so memory is bounded and 10^6 firms × 10 years take well under a minute.
Output is a pure function of the arguments (per-chunk seeds, fixed chunk
size, fixed xlsx timestamps), so the same arguments give the same bytes.

Modules, in the order the data is made: ``params`` (model parameters,
industry classes), ``zones`` (zone table, zone-year facts), ``firms`` (births,
size, growth, exits, credit codes), ``attributes`` (per-year R&D, patents,
exports, land/energy, flags…), ``dirty`` (defects), ``writers`` (CSV/GBK/xlsx),
``calibration`` (targets, ``calibration_report``).  This module ties them
together and is the public entry point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gaoxin.demo import dirty as _dirty
from gaoxin.demo.attributes import firm_year_columns, national_2021_columns
from gaoxin.demo.calibration import (
    CalibrationRow,
    calibration_config,
    calibration_report,
    read_enterprises,
    targets,
)
from gaoxin.demo.firms import Firms, firm_identity, make_codes, simulate_firms
from gaoxin.demo.params import MANUFACTURING, SERVICES, P, Params
from gaoxin.demo.writers import (
    BOOLS,
    ENTERPRISE_COLUMNS,
    XLSX_MAX_ROWS,
    apply_defects,
    enterprise_sink,
    enterprise_table,
    write_zone_facts,
    write_zones,
)
from gaoxin.demo.zones import (
    FACT_INDICATORS,
    REGION_COUNTS_2020,
    Zones,
    make_zones,
    zone_facts,
    zone_rows,
)

__all__ = [
    "BOOLS",
    "CHUNK_FIRM_YEARS",
    "ENTERPRISE_COLUMNS",
    "FACT_INDICATORS",
    "MANUFACTURING",
    "REGION_COUNTS_2020",
    "SERVICES",
    "CalibrationRow",
    "DemoFiles",
    "Firms",
    "P",
    "Params",
    "Zones",
    "calibration_config",
    "calibration_report",
    "generate",
    "make_codes",
    "make_zones",
    "read_enterprises",
    "simulate_chunk",
    "targets",
]

# Firm-years simulated at once (50,000 firms over 10 years): bounds memory whatever the
# year range.  Part of the output's definition: changing it changes the data.
CHUNK_FIRM_YEARS = 500_000


@dataclass
class DemoFiles:
    """What ``generate`` wrote: the three files, defect counts and enterprise-year rows."""

    zones: Path
    enterprises: Path
    zone_facts: Path
    defects: dict[str, int] = field(default_factory=dict)
    rows: int = 0


def simulate_chunk(
    rng: np.random.Generator, serial0: int, n: int, zones: Zones, years: tuple[int, int], key: int,
    rng_2021: np.random.Generator | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Simulate ``n`` firms (serials from ``serial0``) over ``years``.

    Returns the enterprise-year rows (one array per contract column, firm by
    firm, years ascending) and per zone-year sums for zone_facts.  Everything
    is simulated on (firms × years) arrays; the panel is unbalanced: a firm
    appears the year after its founding (or in the first year) until it exits.
    """
    f = simulate_firms(rng, n, zones, years)
    col = firm_year_columns(rng, f)
    # the 2021 system's fields from their own stream: the columns above are unchanged by them
    col.update(national_2021_columns(rng_2021 or np.random.default_rng(serial0), f, col))
    firm_cols = firm_identity(f, serial0, zones, key)
    col["revenue"] = f.revenue
    col["year"] = np.broadcast_to(f.yrs, f.revenue.shape)
    zone, present, emp = f.zone, f.present, f.employees
    nt = len(f.yrs)
    shp = (n, nt)

    # --- zone-year sums for zone_facts
    zt = (zone[:, None] * nt + np.arange(nt)[None, :])[present]
    nzt = len(zones) * nt

    def zsum(v: np.ndarray) -> np.ndarray:
        return np.bincount(zt, weights=np.nan_to_num(v[present]), minlength=nzt).reshape(
            len(zones), nt
        )

    zone_sums = {
        "firms": zsum(np.ones(shp)),
        "employees": zsum(emp.astype(float)),
        "value_added": zsum(col["value_added"]),
        "rd": zsum(col["rd_expense"]),
        "energy": zsum(col["energy_tce"]),
    }
    fi, ti = np.nonzero(present)
    rows = {k: v[fi, ti] for k, v in col.items()}
    rows.update({k: v[fi] for k, v in firm_cols.items()})
    return rows, zone_sums


# --------------------------------------------------------------------------- generate


def generate(
    out_dir: Path,
    *,
    zones: int = 169,
    enterprises: int = 50_000,
    years: tuple[int, int] = (2016, 2025),
    seed: int = 42,
    dirty: float = 0.0,
    fmt: str = "csv",
    encoding: str = "utf-8",
    progress: Callable[[int, int], None] | None = None,
) -> DemoFiles:
    """Write zones, enterprises and zone_facts files into ``out_dir``.

    ``fmt`` is 'csv' or 'xlsx'; ``encoding`` 'utf-8', 'utf-8-sig' or 'gbk'
    (CSV only).  ``dirty`` is the share of enterprise rows given a defect.
    ``progress(done, total)`` is called with firms done after each chunk.
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt must be 'csv' or 'xlsx', not {fmt!r}")
    if encoding not in ("utf-8", "utf-8-sig", "gbk"):
        raise ValueError(f"encoding must be 'utf-8', 'utf-8-sig' or 'gbk', not {encoding!r}")
    if fmt == "xlsx" and encoding != "utf-8":
        raise ValueError("an encoding applies to CSV only; xlsx is always Unicode")
    if zones < 1 or enterprises < 1:
        raise ValueError("zones and enterprises must be positive")
    if not 0.0 <= dirty <= 1.0:
        raise ValueError("dirty must be a share between 0 and 1")
    y0, y1 = years
    if y1 < y0 or y0 < 1988:
        raise ValueError("years must be (first, last) with 1988 <= first <= last")
    nt = y1 - y0 + 1
    if fmt == "xlsx" and enterprises * nt * (1 + dirty) + 2 > XLSX_MAX_ROWS:
        raise ValueError(
            f"{enterprises} firms × {nt} years may exceed the {XLSX_MAX_ROWS:,} rows "
            "of an xlsx sheet; use csv"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ext = fmt
    paths = {t: out_dir / f"{t}.{ext}" for t in ("zones", "enterprises", "zone_facts")}

    root = np.random.SeedSequence(seed)
    zone_ss, facts_ss, firm_ss, key_ss = root.spawn(4)
    z = make_zones(zones, np.random.default_rng(zone_ss))
    key = int(np.random.default_rng(key_ss).integers(0, 10_000))

    write_zones(paths["zones"], zone_rows(z), fmt, encoding)

    # enterprises, chunk by chunk
    as_text = {"revenue", "employees"} if dirty > 0 else set()
    sink = enterprise_sink(paths["enterprises"], fmt, encoding)
    acc = {k: np.zeros((zones, nt)) for k in ("firms", "employees", "value_added", "rd", "energy")}
    defects = dict.fromkeys(_dirty.KINDS, 0)
    rows_written = 0
    chunk = max(1_000, CHUNK_FIRM_YEARS // nt)
    n_chunks = -(-enterprises // chunk)
    chunk_ss = firm_ss.spawn(n_chunks)
    try:
        for c in range(n_chunks):
            rng = np.random.default_rng(chunk_ss[c])
            start = c * chunk
            n = min(chunk, enterprises - start)
            rng_2021 = np.random.default_rng(chunk_ss[c].spawn(1)[0])
            rows, sums = simulate_chunk(rng, start, n, z, (y0, y1), key, rng_2021)
            for k, v in sums.items():
                acc[k] += v
            table = enterprise_table(rows)
            if dirty > 0:
                plan = _dirty.plan(
                    rng,
                    dirty,
                    np.rint(rows["revenue"] * 10).astype(np.int64),
                    rows["employees"],
                    rows["credit_code"],
                )
                for k, v in plan.counts.items():
                    defects[k] += v
                table = apply_defects(table, plan, as_text)
            sink.write(table)
            rows_written += table.num_rows
            if progress:
                progress(start + n, enterprises)
    finally:
        sink.close()

    # zone facts
    facts = zone_facts(np.random.default_rng(facts_ss), z, acc, (y0, y1),
                       np.random.default_rng(facts_ss.spawn(1)[0]))
    write_zone_facts(paths["zone_facts"], facts, fmt, encoding)
    return DemoFiles(
        paths["zones"],
        paths["enterprises"],
        paths["zone_facts"],
        defects if dirty > 0 else {},
        rows_written,
    )
