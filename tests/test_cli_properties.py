"""Arbitrary argument values for every command (in-process, bounded examples): never a traceback, and the exit
code is one of the documented ones (0 done, 1 refused / not identical, 2 user error)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ingest_path
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate

pytestmark = pytest.mark.slow

TEXT = st.one_of(st.text(max_size=12), st.sampled_from(["", "-1", "0", "2024-2020", "9" * 30, "nan", "1e400",
                                                        "latest", "x'; DROP TABLE audit_log; --", "national-2021",
                                                        "zone-year", "annual", "2024", "2020-2024", "1"]))


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    d = tmp_path_factory.mktemp("prop")
    f = generate(d / "data", zones=8, enterprises=300, years=(2022, 2024), seed=4)
    assert ingest_path([f.zones, f.enterprises, f.zone_facts], d / "s.duckdb").snapshot == 1
    r = CliRunner().invoke(app, ["evaluate", "--year", "2024", "--runs", "20", "--db", str(d / "s.duckdb")])
    assert r.exit_code == 0, r.output
    return d / "s.duckdb"


COMMANDS = {
    "evaluate": ["--year", "--snapshot", "--runs", "--framework"],
    "indicators": ["--years", "--snapshot", "--unit", "--framework"],
    "manage": ["--years", "--snapshot", "--framework"],
    "monitor": ["--year", "--view", "--snapshot"],
    "uncertainty": ["--evaluation", "--runs"],
    "snapshots diff": [],
}
DEFAULTS = {"indicators": ["--framework", "national-2021", "--years", "2024"], "monitor": ["--year", "2024"],
            "uncertainty": ["--evaluation", "1", "--runs", "20"], "evaluate": ["--runs", "0"],
            "manage": ["--years", "2023-2024"]}


def _args(command: str, values: list[str]) -> list[str]:
    args = list(DEFAULTS.get(command, []))
    opts = COMMANDS[command]
    if not opts:  # positional snapshot references
        return [*command.split(), *[*values[:2], "1", "1"][:2]]
    for opt, v in zip(opts, values, strict=False):
        if opt in args:
            i = args.index(opt)
            del args[i:i + 2]
        args += [opt, v]
    return [*command.split(), *args]


@pytest.mark.parametrize("command", list(COMMANDS))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(TEXT, min_size=1, max_size=4))
def test_no_traceback_for_any_argument(db, command, values):
    res = CliRunner().invoke(app, [*_args(command, values), "--db", str(db)], env={"COLUMNS": "200"})
    assert res.exit_code in (0, 1, 2), (values, res.output)
    assert res.exception is None or isinstance(res.exception, SystemExit), (values, repr(res.exception))
    assert "Traceback" not in res.output
