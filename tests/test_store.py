"""Store modes: reads never write or migrate; a busy store is waited for, then named; cursors read concurrently."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from conftest import ingest_path
from gaoxin.store.db import Store, StoreBusy, StoreError, latest_version, migrations, schema_version


@pytest.fixture
def filled(tmp_path, zones_csv, enterprises_csv) -> Path:
    db = tmp_path / "s.duckdb"
    assert ingest_path([zones_csv, enterprises_csv], db).snapshot == 1
    return db


def test_read_of_a_missing_store_names_the_command_that_creates_one(tmp_path):
    with pytest.raises(StoreError, match="gaoxin ingest"):
        Store(tmp_path / "none.duckdb", "read")
    assert not (tmp_path / "none.duckdb").exists()


def test_read_never_migrates_and_names_the_upgrade(tmp_path):
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    v1, name, sql = migrations()[0]
    con.execute(sql)
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [v1, name])
    con.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match="gaoxin migrate"):
        Store(db, "read")
    assert db.read_bytes() == before  # untouched
    with Store(db, "write") as w:  # a writer upgrades
        assert schema_version(w.con) == latest_version()
    with Store(db, "read") as r:
        assert schema_version(r.con) == latest_version()


def test_read_store_refuses_writes(filled):
    with Store(filled, "read") as r:
        with pytest.raises(StoreError):
            r.require_write()
        with pytest.raises(duckdb.Error):
            r.con.execute("DELETE FROM audit_log")


HOLD = """
import sys, time
from gaoxin.store.db import Store
s = Store(sys.argv[1], sys.argv[2])
print("ready", flush=True)
time.sleep(float(sys.argv[3]))
"""


def _holder(db: Path, mode: str, seconds: float) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(db), mode, str(seconds)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def test_busy_store_waits_then_names_the_holder(filled):
    p = _holder(filled, "write", 30)
    try:
        waits: list[float] = []
        t0 = time.monotonic()
        with pytest.raises(StoreBusy) as e:
            Store(filled, "read", wait=0.6, on_wait=lambda w, pid, cmd: waits.append(w))
        assert time.monotonic() - t0 >= 0.6
        assert e.value.pid == p.pid and str(p.pid) in str(e.value)
        assert "占用" in str(e.value) and "held by" in str(e.value)
        assert waits  # the caller could show a spinner saying why
    finally:
        p.kill()
        p.wait()
    with Store(filled, "read", wait=5):  # free again
        pass


def test_busy_store_is_waited_for_when_it_frees_in_time(filled):
    p = _holder(filled, "write", 0.5)
    try:
        with Store(filled, "write", wait=20) as w:  # the holder exits after 0.5 s
            assert w.con.execute("SELECT count(*) FROM snapshot").fetchall()[0][0] == 1
    finally:
        p.wait()


def test_cli_on_a_busy_store_exits_2_with_the_message(filled):
    p = _holder(filled, "write", 30)
    try:
        r = subprocess.run([sys.executable, "-m", "gaoxin", "snapshots", "--db", str(filled)], capture_output=True,
                           text=True, env={**_env(), "GAOXIN_STORE_WAIT": "0.3"})
        assert r.returncode == 2
        assert str(p.pid) in r.stderr and "Traceback" not in r.stderr and "IO Error" not in r.stderr
    finally:
        p.kill()
        p.wait()


def test_readers_share_the_store(filled):
    p = _holder(filled, "read", 30)
    try:
        with Store(filled, "read", wait=0) as r:
            assert r.con.execute("SELECT count(*) FROM snapshot").fetchall()[0][0] == 1
    finally:
        p.kill()
        p.wait()


def test_cursors_of_one_owner_read_concurrently(filled):
    with Store(filled, "write") as owner:
        counts: list[int] = []

        def read() -> None:
            cur = owner.cursor()
            counts.append(cur.execute("SELECT count(*) FROM enterprise_years_at(1)").fetchall()[0][0])
            cur.close()

        threads = [threading.Thread(target=read) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert counts == [20] * 4


def test_transaction_rolls_back_on_error(filled):
    with Store(filled, "write") as w:
        n = w.con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
        with pytest.raises(RuntimeError), w.transaction() as con:
            con.execute("DELETE FROM audit_log")
            raise RuntimeError("boom")
        assert w.con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0] == n


def _env() -> dict:
    import os

    return dict(os.environ)


@pytest.mark.parametrize("content", [b"zone_id,name\nGX001,a\n", b"PAR1\x00\x00", b'{"a": 1}', b""])
def test_a_file_that_is_not_a_store_is_refused_and_left_untouched(tmp_path, content):
    f = tmp_path / "typo.csv"
    f.write_bytes(content)
    for mode in ("read", "write"):
        with pytest.raises(StoreError, match="not a gaoxin store"):
            Store(f, mode)
    assert f.read_bytes() == content


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(StoreError, match="directory"):
        Store(tmp_path, "write")


def test_writer_memory_limit_is_bounded_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("GAOXIN_MEMORY_LIMIT", "1.5GB")
    with Store(tmp_path / "m.duckdb", "write") as w:
        assert w.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0].startswith("1.3 GiB")
    monkeypatch.setenv("GAOXIN_MEMORY_LIMIT", "1GB'; DROP TABLE audit_log; --")
    with pytest.raises(StoreError, match="GAOXIN_MEMORY_LIMIT"):
        Store(tmp_path / "m.duckdb", "write")


@pytest.mark.parametrize("name", ["1", "2", " 7 ", "latest", "LATEST", "", "x" * 101])
def test_snapshot_names_cannot_shadow_ids_or_keywords(filled, zones_csv, name):
    from gaoxin.services.errors import InputError
    from gaoxin.services.ingest import ingest_files

    with Store(filled, "write") as w:
        with pytest.raises(InputError):
            ingest_files(w, [zones_csv], snapshot_name=name)
        assert w.con.execute("SELECT count(*) FROM snapshot").fetchall()[0][0] == 1


def test_duplicate_snapshot_name_is_a_clean_error_and_ids_resolve_unambiguously(filled, zones_csv):
    from gaoxin.services.errors import InputError
    from gaoxin.services.ingest import ingest_files
    from gaoxin.store.snapshots import resolve

    with Store(filled, "write") as w:
        assert ingest_files(w, [zones_csv], snapshot_name="2024年报").result.snapshot == 2
        with pytest.raises(InputError, match="already exists"):
            ingest_files(w, [zones_csv], snapshot_name="2024年报")
        assert resolve(w.con, "1") == 1 and resolve(w.con, "2024年报") == 2 and resolve(w.con, "latest") == 2


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_signal_mid_ingest_leaves_the_store_and_no_temp_files(tmp_path, sig):
    import signal

    from gaoxin.demo.synthetic import generate

    f = generate(tmp_path / "data", zones=20, enterprises=20_000, years=(2016, 2025), seed=2, encoding="gbk")
    db = tmp_path / "s.duckdb"
    assert ingest_path([f.zones], db).snapshot == 1
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    p = subprocess.Popen([sys.executable, "-m", "gaoxin", "ingest", str(f.zones), str(f.enterprises), "--db", str(db)],
                         stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         env={**_env(), "TMPDIR": str(tmp), "COLUMNS": "200"})
    deadline = time.monotonic() + 30
    while not any(tmp.iterdir()) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.01)  # the ingest's work folder appears: it is transcoding or reading
    if p.poll() is not None:
        pytest.skip("the ingest finished before the signal could be sent")
    time.sleep(0.2)
    p.send_signal(getattr(signal, sig))
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert list(tmp.iterdir()) == []  # every temporary file removed
    with Store(db, "read") as r:  # the interrupted batch left nothing: still snapshot 1 alone, same rows
        assert r.con.execute("SELECT count(*) FROM snapshot").fetchall()[0][0] == 1
        assert r.con.execute("SELECT count(*) FROM enterprise_year").fetchall()[0][0] == 0


def test_a_migration_that_landed_late_is_applied_below_the_highest_version(tmp_path):
    """Migrations built in parallel land in any order: a store at version N still gets a missing N − k."""
    from gaoxin.store.db import Store, StoreError, latest_version, migrations

    db = tmp_path / "s.duckdb"
    with Store(db, "write"):
        pass
    late = next(v for v, name, _ in migrations() if "mujun" in name)
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE mujun_result")
    con.execute("DELETE FROM schema_version WHERE version = ?", [late])
    con.close()
    with pytest.raises(StoreError, match="gaoxin migrate"):  # a reader says so, and writes nothing
        Store(db, "read").__enter__()
    with Store(db, "write") as s:
        assert s.con.execute("SELECT count(*) FROM mujun_result").fetchall() == [(0,)]
        assert s.con.execute("SELECT max(version) FROM schema_version").fetchall() == [(latest_version(),)]
