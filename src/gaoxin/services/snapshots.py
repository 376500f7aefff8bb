"""Snapshots: list them, compare two, resolve a reference."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from gaoxin.store import snapshots as store_snapshots
from gaoxin.store.db import Store


@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    name: str
    created_at: datetime
    zones: int
    enterprise_years: int
    zone_facts: int
    accepted: int
    rejected: int
    warnings: int
    replaced: int
    sources: list[str]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["created_at"] = self.created_at.isoformat(timespec="seconds")
        return d


@dataclass(frozen=True)
class TableChange:
    table: str
    added: int
    changed: int
    removed: int


@dataclass(frozen=True)
class SnapshotDiff:
    a: int
    b: int
    tables: list[TableChange]

    def to_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "tables": [asdict(t) for t in self.tables]}


def list_snapshots(store: Store) -> list[SnapshotInfo]:
    """Every snapshot, oldest first, with row counts per table and its source files."""
    out = []
    for r in store_snapshots.listing(store.con):
        sources = [Path(s).name for s in json.loads(r["sources"])]
        out.append(SnapshotInfo(r["id"], r["name"], r["created_at"], r["zones"], r["enterprise_years"],
                                r["zone_facts"], r["accepted"], r["rejected"], r["warnings"], r["replaced"], sources))
    return out


def resolve(store: Store, ref: str | int | None) -> int:
    """Snapshot id of an id, a name or None / 'latest'."""
    return store_snapshots.resolve(store.con, ref)


def zone_names(store: Store, snapshot: str | int | None = None) -> dict[str, str]:
    """zone_id → name in ``snapshot`` (default latest)."""
    z = store_snapshots.zones(store.con, resolve(store, snapshot))
    return dict(zip(z["zone_id"], z["name"], strict=True))


def region_labels() -> dict[str, str]:
    """NBS region code → Chinese label (东部, 中部, 西部, 东北)."""
    from gaoxin.ingest.contract import region_labels as labels

    return labels()


def diff_snapshots(store: Store, a: str | int, b: str | int) -> SnapshotDiff:
    """Rows added, changed and removed per table from snapshot ``a`` to ``b``."""
    ia, ib = resolve(store, a), resolve(store, b)
    return SnapshotDiff(ia, ib, [TableChange(d.table, d.added, d.changed, d.removed)
                                 for d in store_snapshots.diff(store.con, ia, ib)])
