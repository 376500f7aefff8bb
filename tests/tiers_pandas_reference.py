"""The former pandas path of the tier outputs (analysis/tiers.py before decision 0034), kept as the oracle
tests/test_tier_queries.py checks the queries against: evidence, near misses and funnel over the wide frame."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gaoxin.analysis.tiers import Criterion, TierRules, block_of, criterion_keys

if TYPE_CHECKING:
    import pandas as pd


def status(col: pd.Series) -> pd.Series:
    """pass / fail / unknown from a nullable boolean column."""
    import numpy as np
    import pandas as pd

    b = col.astype("boolean")
    return pd.Series(np.select([b.eq(True).fillna(False), b.eq(False).fillna(False)], ["pass", "fail"], "unknown"),
                     index=col.index)


def evidence(wide: pd.DataFrame, rules: TierRules) -> pd.DataFrame:
    """Long evidence: one row per enterprise × year × tier × criterion (value, op, threshold, status)."""
    import pandas as pd

    parts = []
    for t in rules.tier:
        for key, part, c in criterion_keys(t):
            parts.append(pd.DataFrame({
                "credit_code": wide["credit_code"], "year": wide["year"], "zone_id": wide["zone_id"],
                "tier": t.id, "tier_status": status(wide[t.id]), "criterion": key, "part": part,
                "measure": c.measure, "label_zh": c.label_zh, "label_en": c.label_en,
                "value": wide[f"v|{key}"], "op": c.op, "threshold": wide[f"t|{key}"],
                "status": status(wide[f"p|{key}"])}))
    cols = ["credit_code", "year", "zone_id", "tier", "tier_status", "criterion", "part", "measure", "label_zh",
            "label_en", "value", "op", "threshold", "status"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def near_misses(wide: pd.DataFrame, rules: TierRules) -> pd.DataFrame:
    """Enterprise-years not in a tier that would be with one more criterion passed (the rest pass, none unknown).

    With any-of groups: the all-of part and one group must pass but for exactly one criterion between them.
    One row per (enterprise, year, tier): the failing criterion with the smallest ``relative_gap`` =
    |threshold − value| / |threshold|; ``gap`` = threshold − value (negative: the value must come down).
    """
    import pandas as pd

    rows = []
    for t in rules.tier:
        keys = criterion_keys(t)
        st = {k: status(wide[f"p|{k}"]) for k, _, _ in keys}
        options = _options(keys)
        not_in = status(wide[t.id]) != "pass"
        for opt in options:
            fails = sum((st[k] == "fail").astype(int) for k in opt)
            passes = sum((st[k] == "pass").astype(int) for k in opt)
            hit = not_in & (fails == 1) & (passes == len(opt) - 1)
            for k in opt:
                sel = hit & (st[k] == "fail")
                c = next(c for kk, _, c in keys if kk == k)
                if sel.any() and c.near_miss:
                    v, th = wide.loc[sel, f"v|{k}"], wide.loc[sel, f"t|{k}"]
                    rows.append(pd.DataFrame({
                        "credit_code": wide.loc[sel, "credit_code"], "year": wide.loc[sel, "year"],
                        "zone_id": wide.loc[sel, "zone_id"], "tier": t.id, "name_zh": t.name_zh,
                        "criterion": k, "label_zh": c.label_zh, "label_en": c.label_en, "value": v, "op": c.op,
                        "threshold": th, "gap": th - v}))
    cols = ["credit_code", "year", "zone_id", "tier", "name_zh", "criterion", "label_zh", "label_en", "value", "op",
            "threshold", "gap"]
    if not rows:
        return pd.DataFrame(columns=[*cols, "relative_gap"])
    out = pd.concat(rows, ignore_index=True)
    # per enterprise and tier the closest way in: the failing criterion with the smallest relative gap
    out["relative_gap"] = (out["gap"].abs() / out["threshold"].abs().where(out["threshold"] != 0, 1.0)).round(12)
    out = out.sort_values(["credit_code", "year", "tier", "relative_gap", "criterion"], kind="stable")
    out = out.drop_duplicates(["credit_code", "year", "tier"])
    return out.sort_values(["tier", "relative_gap", "zone_id", "credit_code", "year"], kind="stable",
                           ignore_index=True)[[*cols, "relative_gap"]]


def _options(keys: list[tuple[str, str, Criterion]]) -> list[list[str]]:
    """Every way into a tier: the all-of keys plus one group from each any-of block (cartesian product)."""
    from itertools import product

    alls = [k for k, p, _ in keys if p == "all"]
    blocks: dict[str, dict[str, list[str]]] = {}
    for k, p, _ in keys:
        if p != "all":
            blocks.setdefault(block_of(p), {}).setdefault(p, []).append(k)
    return [alls + [k for g in combo for k in g] for combo in product(*[list(b.values()) for b in blocks.values()])]


def funnel(wide: pd.DataFrame, rules: TierRules) -> pd.DataFrame:
    """Per zone × year × tier: members, entered (in now, not the year before), left, and per zone-year the
    enterprises promoted to a higher ladder rank.  Unknown counts as not a member; a firm with no row the
    year before entered; a firm in a tier whose row is gone (or moved zone) left its previous zone."""
    import pandas as pd

    ids = [t.id for t in rules.tier]
    m = wide[["credit_code", "year", "zone_id"]].copy()
    for t in ids:
        m[t] = wide[t].eq(True).fillna(False).astype(bool)
    ladder = {t.id: t.rank for t in rules.tier if t.rank > 0}
    m["top_rank"] = 0
    for t, r in ladder.items():
        m["top_rank"] = m["top_rank"].where(~m[t] | (m["top_rank"] >= r), r)
    prev = m.assign(year=m["year"] + 1)
    j = m.merge(prev, on=["credit_code", "year"], how="outer", suffixes=("", "_prev"), indicator=True)
    years = set(m["year"])
    j = j[j["year"].isin(years) & (j["year"] > min(years, default=0))]
    rows = []
    for t in ids:
        now = j[t].eq(True)
        before = j[f"{t}_prev"].eq(True)
        zone_now, zone_before = j["zone_id"], j["zone_id_prev"]
        entered = now & ~(before & (zone_before == zone_now))
        left = before & ~(now & (zone_before == zone_now))
        a = j[entered].groupby(["zone_id", "year"]).size().rename("entered")
        b = j[left].groupby(["zone_id_prev", "year"]).size().rename("left")
        b.index = b.index.set_names(["zone_id", "year"])
        members = m[m[t]].groupby(["zone_id", "year"]).size().rename("members")
        f = pd.concat([members, a, b], axis=1).fillna(0).astype(int).reset_index()
        f.insert(2, "tier", t)
        rows.append(f)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    promoted = j[(j["top_rank"] > j["top_rank_prev"]) & (j["zone_id"] == j["zone_id_prev"])]
    p = promoted.groupby(["zone_id", "year"]).size().rename("promoted").reset_index()
    all_zy = m[["zone_id", "year"]].drop_duplicates()
    grid = all_zy.merge(pd.DataFrame({"tier": ids}), how="cross")
    out = grid.merge(out, on=["zone_id", "year", "tier"], how="left").merge(p, on=["zone_id", "year"], how="left")
    for c in ("members", "entered", "left", "promoted"):
        out[c] = out[c].fillna(0).astype("Int64")
    first = m["year"].min() if len(m) else None
    out.loc[out["year"] == first, ["entered", "left", "promoted"]] = pd.NA  # no year before: shown as "—"
    return out.sort_values(["zone_id", "year", "tier"], ignore_index=True)
