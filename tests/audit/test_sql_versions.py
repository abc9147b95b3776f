"""The policy's SQL query decides each record by the version in force on its service date,
on every database it is written for, as `billability audit` does.

The two-version fixture (tests/fixtures/versioned: 1.0 from 2026-01-01, 2.0 from
2026-07-01, under which a counselor's video call to a provider goes from needs review to
billable), with a mapping that names the service date: records before the first
version, on each side of the switch and on its day, with blank dates and dates that are
none, and with a cell the answer depends on that cannot be read. Every column of the
query's rows equals the audit's CSV (Python engine), row by row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_sql_engines import as_csv_cells

from billability.audit import audit_file
from billability.audit.mapping import load_mapping
from billability.audit.sql import policy_sql
from billability.cli import main
from billability.policy.versions import load_versions
from postgres import require_postgres
from sql_engines import ENGINES, PostgreSQL, Spark, SqlEngine, SQLite, load_csv, query_words
from sql_engines import DuckDB as DuckDBEngine

VERSIONED = Path(__file__).resolve().parent.parent / "fixtures" / "versioned" / "policy"
MAPPING = """\
policy: clinic
service_date: {column: served, format: m/d/yyyy}
scope: {column: kind, codes: [CM]}
facts:
  provider_credential: {column: credential}
  activity: {column: activity}
  contact_mode: {column: mode}
"""
HEADER = ("service_id", "kind", "served", "credential", "activity", "mode")
CALL = ("counselor", "provider_call", "video")
RECORDS = [
    ("S1", "CM", "12/31/2025", *CALL),  # before the first version
    ("S2", "CM", "1/1/2026", *CALL),  # the first version's first day
    ("S3", "CM", "6/30/2026", *CALL),
    ("S4", "CM", "7/1/2026", *CALL),  # the switch day
    ("S5", "CM", "\t7/2/2026 ", *CALL),
    ("S6", "CM", "", *CALL),
    ("S7", "CM", "13/45/2026", *CALL),
    ("S8", "CM", "2/29/2026", *CALL),  # no leap day in 2026
    ("S9", "CM", "2026-08-01", *CALL),
    ("S10", "CM", "6/30/2026", "counselor", "provider_call", "fax"),
    ("S11", "CM", "8/15/2026", "counselor", "provider_call", "fax"),
    ("S12", "CM", "8/15/2026", "Counselor ", "PROVIDER_CALL", "phone"),
    ("S13", "Other", "", *CALL),  # out of scope: its date is not read
    ("S14", "CM", "6/30/2026", "counselor", "", ""),
    ("S15", "CM", "  ", "counselor", "driving", "fax"),
]


@pytest.fixture(
    scope="module",
    params=[pytest.param(name, marks=[pytest.mark.spark] if name == "spark" else []) for name in ENGINES],
)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlEngine]:
    made: Any
    if request.param == "duckdb":
        made = DuckDBEngine()
    elif request.param == "sqlite":
        made = SQLite()
    elif request.param == "postgres":
        require_postgres()
        made = PostgreSQL(request.getfixturevalue("postgres"))
    else:
        made = Spark(request.getfixturevalue("spark"), tmp_path_factory.mktemp("spark-tables"))
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[dict[str, str]]]:
    """The export, its mapping, and the rows `billability audit --engine python` writes."""
    folder = tmp_path_factory.mktemp("versions")
    export, mapping, out = folder / "services.csv", folder / "mapping.yaml", folder / "audited.csv"
    with export.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(RECORDS)
    mapping.write_text(MAPPING, encoding="utf-8")
    audit_file(export, mapping=mapping, output=out, policy=VERSIONED, engine="python")
    with out.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    current = load_versions(VERSIONED).current
    for row in rows:
        row["problems"] = query_words(row["problems"], current)
    return export, mapping, rows


def test_the_query_decides_each_record_by_its_version_as_the_audit_does(
    engine: SqlEngine, files: tuple[Path, Path, list[dict[str, str]]]
) -> None:
    export, mapping_file, expected = files
    versions = load_versions(VERSIONED).versions
    current = versions[-1]
    mapping = load_mapping(mapping_file, current, None, versions[:-1])
    load_csv(engine, "services", export)
    found = engine.run(policy_sql(current, "services", engine.dialect, mapping=mapping, versions=versions))
    rows = sorted(map(as_csv_cells, found), key=lambda row: int(row["row"]))
    assert [(r["outcome"], r["policy_version"]) for r in rows] == [
        (r["outcome"], r["policy_version"]) for r in expected
    ]
    wrong = [(row, want) for row, want in zip(rows, expected, strict=True) if row != want]
    assert wrong[:3] == []
    assert [r["policy_version"] for r in rows[:5]] == ["", "1.0", "1.0", "2.0", "2.0"]
    assert [r["outcome"] for r in rows[2:4]] == ["needs_review", "billable"]


def test_billability_sql_reads_every_version_of_the_policy_folder(
    files: tuple[Path, Path, list[dict[str, str]]],
) -> None:
    export, mapping, expected = files
    ran = CliRunner().invoke(main, ["sql", "--map", str(mapping), "--policy", str(VERSIONED), "--table", "services"])
    assert ran.exit_code == 0, ran.output
    engine = DuckDBEngine()
    try:
        load_csv(engine, "services", export)
        rows = sorted(map(as_csv_cells, engine.run(ran.output)), key=lambda row: int(row["row"]))
    finally:
        engine.close()
    assert [r["policy_version"] for r in rows] == [r["policy_version"] for r in expected]
    assert {"1.0", "2.0", ""} == {r["policy_version"] for r in rows}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_both_audit_engines_write_these_records_alike(
    files: tuple[Path, Path, list[dict[str, str]]], tmp_path: Path, suffix: str
) -> None:
    """With a scope: a record out of it is never decided, whatever its date."""
    export, mapping, _ = files
    written = []
    for engine in ("duckdb", "python"):
        out = tmp_path / f"{engine}{suffix}"
        audit_file(export, mapping=mapping, output=out, policy=VERSIONED, engine=engine)
        written.append(out.read_bytes())
    assert written[0] == written[1]
    assert b"not_audited" in written[0]
