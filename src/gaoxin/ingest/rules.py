"""The ingest thresholds and token lists (``ingest/data/rules.toml``) as a strict model.

Defaults live here and only here; the TOML file overrides them.  A misspelt or
unknown key is an error naming the file, key path and line (``gaoxin.config``),
so a threshold can never be silently ignored.  Documented field by field in
docs/data-model.md, "Ingest rules (ingest/data/rules.toml)".
"""

from __future__ import annotations

from pydantic import Field

from gaoxin.config import StrictModel

MISSING_TOKENS = ["", "—", "——", "-", "--", "…", "……", "...", "/", "NA", "N/A", "na", "n/a", "NULL", "null",
                  "无数据"]
TRUE_TOKENS = ["是", "1", "Y", "y", "YES", "Yes", "yes", "TRUE", "True", "true", "T", "√"]
FALSE_TOKENS = ["否", "0", "N", "n", "NO", "No", "no", "FALSE", "False", "false", "F", "×"]


class YearRule(StrictModel):
    """Accepted reporting years (``year`` column)."""

    min: int = Field(1988, description="earliest reporting year; the first national zones were approved in 1988")
    max_offset_from_today: int = Field(
        0, description="latest year = current calendar year + this (0: a return for a future year is an error)")


class FoundedYearRule(StrictModel):
    """Accepted founding years (``founded_year`` column); the upper bound is the reporting year's."""

    min: int = Field(1900, description="earliest founding year")


class WarningRules(StrictModel):
    """Suspicious but valid values: the row is kept with a warning."""

    rd_expense_over_revenue: bool = Field(
        True, description="warn when R&D expense exceeds revenue (possible for start-ups, often a typo)")
    max_growth_ratio: float = Field(
        10.0, gt=1.0,
        description="warn when revenue exceeds this multiple of the same firm's previous year (10.0 = +900 %; "
                    "often a 元/万元 unit mix-up)")


class MissingRule(StrictModel):
    """Cell texts that mean 'no value'."""

    tokens: list[str] = Field(default_factory=lambda: list(MISSING_TOKENS),
                              description="compared after NFKC folding of full-width characters and trimming")


class TotalsRule(StrictModel):
    """Total rows below the data (dropped and reported)."""

    tokens: list[str] = Field(default_factory=lambda: ["合计", "小计", "总计"],
                              description="a row whose first three cells contain one of these is a total row")


class BoolRule(StrictModel):
    """Texts of yes/no columns (is_high_tech, is_tech_sme, is_listed)."""

    true: list[str] = Field(default_factory=lambda: list(TRUE_TOKENS), description="cell texts read as yes")
    false: list[str] = Field(default_factory=lambda: list(FALSE_TOKENS), description="cell texts read as no")


class WorkbookLimits(StrictModel):
    """Limits checked on an .xlsx/.xlsm before any cell is loaded (a 5 KB file can declare 17 billion cells)."""

    max_cells: int = Field(60_000_000, gt=0,
                           description="most cells a sheet may declare or use (rows × columns of its used range)")
    max_uncompressed_mb: float = Field(2048, gt=0, description="most MiB the workbook's parts may inflate to in all")
    max_shared_strings_mb: float = Field(
        256, gt=0, description="most MiB of the shared-strings part (text cells; Excel itself caps a cell at 32,767 "
                               "characters)")


class InputLimits(StrictModel):
    """Limits on the shape of any input (CSV or sheet), so that a hostile or broken file is refused, not loaded."""

    max_cell_kb: float = Field(
        1024, gt=0, description="most KiB (UTF-8) of one cell; a longer cell rejects its row, naming the column "
                                "(Excel itself stops at 32,767 characters, about 96 KiB of CJK text)")
    max_record_mb: float = Field(
        16, gt=0, description="most MiB of one CSV record (line); a longer record is rejected whole with its row "
                              "number")
    max_columns: int = Field(2000, gt=0, description="most columns of a CSV or a sheet")


class IngestRules(StrictModel):
    """Every validation threshold and token list of ingest (``ingest/data/rules.toml``)."""

    year: YearRule = Field(default_factory=YearRule, description="reporting-year range")
    founded_year: FoundedYearRule = Field(default_factory=FoundedYearRule, description="founding-year range")
    warnings: WarningRules = Field(default_factory=WarningRules, description="warnings that keep the row")
    missing: MissingRule = Field(default_factory=MissingRule, description="missing-value tokens")
    totals: TotalsRule = Field(default_factory=TotalsRule, description="total-row markers")
    bool_: BoolRule = Field(default_factory=BoolRule, alias="bool", description="yes/no tokens")
    workbook: WorkbookLimits = Field(default_factory=WorkbookLimits, description="limits of a workbook")
    limits: InputLimits = Field(default_factory=InputLimits, description="limits of cells, records and columns")


__all__ = ["BoolRule", "FoundedYearRule", "IngestRules", "InputLimits", "MissingRule", "TotalsRule", "WarningRules",
           "WorkbookLimits", "YearRule"]
