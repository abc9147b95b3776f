"""The two engines of `billability audit` give the same output and the same summary.

The DuckDB engine reads the mapping and decides inside DuckDB; the Python engine reads
each distinct row in Python and decides it with `Policy.evaluate`. On the clinic
fixture and on the example export, with valid, partial and invalid rows, odd
whitespace, typed JSON Lines and Parquet cells: CSV and JSON Lines outputs are equal
byte for byte, Parquet outputs hold the same columns, types and rows, and the
summaries are equal but for the engine's name."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from audit_inputs import EXAMPLE, EXPORT, MAPPING, WARNED_EXPORT
from billability.audit.binding import bind
from billability.audit.duckdb_engine import audit_in_duckdb
from billability.audit.engines import PythonEngine
from billability.audit.mapping import default_mapping, load_mapping
from billability.audit.python_audit import audit
from billability.audit.records import open_export
from billability.audit.results import ResultsWriter
from billability.audit.summary import Summary
from billability.model.diagnostics import Problems
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from policy_texts import CHECKOUT
from scenarios import complete_combinations, invalid_scenarios, partial_scenarios

FORMATS = [".csv", ".jsonl", ".parquet"]


def both_engines(records: Path, mapping: Path | None, policy: Policy, out: Path) -> tuple[Summary, Summary]:
    """Audit with each engine into `out` (renamed per engine); the two summaries."""
    export = open_export(records)
    chosen = load_mapping(mapping, policy, export.columns) if mapping else default_mapping(policy, export.columns)
    binding = bind(chosen, policy, export.columns)
    python_out = out.with_name("python-" + out.name)
    writer = ResultsWriter(python_out, export, (policy.id, policy.version))
    by_python = audit(export, binding, policy, PythonEngine(policy), writer)
    writer.commit()
    by_duckdb = audit_in_duckdb(export, binding, policy, out.with_name("duckdb-" + out.name))
    return by_python, by_duckdb


def assert_same(out: Path, by_python: Summary, by_duckdb: Summary) -> None:
    assert by_duckdb.engine == "duckdb" and by_python.engine == "python"
    assert replace(by_duckdb, engine="python") == by_python
    python_out, duckdb_out = out.with_name("python-" + out.name), out.with_name("duckdb-" + out.name)
    if out.suffix == ".parquet":
        connection = duckdb.connect()
        read = "SELECT * FROM read_parquet(?)"
        assert (
            connection.execute(f"DESCRIBE {read}", [str(duckdb_out)]).fetchall()
            == connection.execute(f"DESCRIBE {read}", [str(python_out)]).fetchall()
        )
        assert (
            connection.execute(read, [str(duckdb_out)]).fetchall()
            == connection.execute(read, [str(python_out)]).fetchall()
        )
    else:
        assert duckdb_out.read_bytes() == python_out.read_bytes()
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".")) == []  # no part file left


@pytest.mark.parametrize("suffix", FORMATS)
def test_the_example_export_comes_out_the_same(tmp_path: Path, suffix: str) -> None:
    policy = load_policy(CHECKOUT / "policy")
    out = tmp_path / f"audited{suffix}"
    by_python, by_duckdb = both_engines(EXAMPLE / "ehr-export.csv", EXAMPLE / "mapping.yaml", policy, out)
    assert by_python.rows == 208 and by_python.count("invalid") > 0 and by_python.count("undetermined") > 0
    assert by_python.count("not_audited") > 0
    assert_same(out, by_python, by_duckdb)


# --- made-up exports with every kind of cell -----------------------------------------------

CODES = {
    "staff_credential": ["LCSW", "SUD Counselor II", "Peer Support", "Psychic", ""],
    "service_type": ["Benefits", "Handoff", "Transport", "Provider call", "Other", "Bingo", ""],
    "contact_method": ["Telephone", "Voicemail", "Email", "Video", "N/A", "Pigeon", ""],
    "note": ["Y", "N", "maybe", ""],
    "days": ["0", "12", "29", "30", "31", "-3", "4.5", "007", "+5", "99999999999999999999999", "x", ""],
}
# Whitespace Python strips and SQL's trim does not, among others.
WRAPS = ["{}", " {} ", "\t{}", "{}\u00a0", "\u2003{}\n"]


def made_up_rows(seed: int, count: int) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        cells = {column: rng.choice(codes) for column, codes in CODES.items()}
        if rng.random() < 0.2:
            column = rng.choice(list(cells))
            cells[column] = rng.choice(WRAPS).format(cells[column])
        rows.append(
            [
                f"S{n}",
                f"Staff {rng.randint(1, 4)}",
                cells["staff_credential"],
                rng.choice(["OP", "IOP", ""]),
                cells["service_type"],
                cells["contact_method"],
                cells["note"],
                cells["days"],
                rng.choice(["30", "15", "", "n/a", "2.5"]),
            ]
        )
    return rows


def write_export(path: Path, rows: list[list[str]]) -> None:
    header = EXPORT.splitlines()[0].split(",")
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def clinic_mapping(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", FORMATS)
def test_every_kind_of_cell_comes_out_the_same(
    clinic: Policy, clinic_mapping: Path, tmp_path: Path, suffix: str
) -> None:
    records = tmp_path / "export.csv"
    write_export(records, made_up_rows(seed=7, count=3000))
    out = tmp_path / "out" / f"audited{suffix}"
    out.parent.mkdir()
    by_python, by_duckdb = both_engines(records, clinic_mapping, clinic, out)
    assert by_python.rows == 3000
    counts = dict(by_python.by_outcome)
    assert all(counts[o].rows > 0 for o in ("billable", "not_billable", "undetermined", "invalid"))
    assert_same(out, by_python, by_duckdb)


@pytest.mark.parametrize("suffix", FORMATS)
def test_rows_decided_with_a_warning_come_out_the_same(
    clinic: Policy, clinic_mapping: Path, tmp_path: Path, suffix: str
) -> None:
    records = tmp_path / "export.csv"
    records.write_bytes(WARNED_EXPORT.encode("utf-8"))
    out = tmp_path / "out" / f"audited{suffix}"
    out.parent.mkdir()
    by_python, by_duckdb = both_engines(records, clinic_mapping, clinic, out)
    assert (by_python.warned_rows, by_python.count("invalid")) == (6, 4)
    assert {p.severity for p in by_python.problems} == {"error", "warning"}
    assert_same(out, by_python, by_duckdb)


def test_rows_decided_with_a_warning_sum_up_the_same_without_an_output(
    clinic: Policy, clinic_mapping: Path, tmp_path: Path
) -> None:
    records = tmp_path / "export.csv"
    records.write_bytes(WARNED_EXPORT.encode("utf-8"))
    export = open_export(records)
    binding = bind(load_mapping(clinic_mapping, clinic, export.columns), clinic, export.columns)
    by_python = audit(export, binding, clinic, PythonEngine(clinic))
    by_duckdb = audit_in_duckdb(export, binding, clinic)
    assert by_python.invalid_rows == (3, 5, 7, 9)
    assert replace(by_duckdb, engine="python") == by_python


def test_cells_the_policy_names_without_a_mapping_come_out_the_same(clinic: Policy, tmp_path: Path) -> None:
    rng = random.Random(3)
    values = {
        "provider_credential": ["counselor", "peer", "wizard", " counselor", ""],
        "activity": ["benefits", "handoff", "driving", "provider_call", "other", "bingo", ""],
        "contact_mode": ["phone", "video", "voicemail", "email", "", "PHONE"],
        "documented": ["true", "false", "maybe", "True", ""],
        "days_since_discharge": ["0", "30", "31", "-1", "1e3", ""],
    }
    records = tmp_path / "facts.csv"
    with records.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", *values])
        writer.writerows([[str(n), *(rng.choice(v) for v in values.values())] for n in range(2000)])
    out = tmp_path / "out" / "audited.csv"
    out.parent.mkdir()
    by_python, by_duckdb = both_engines(records, None, clinic, out)
    assert by_python.count("invalid") > 0 and by_python.rows == 2000
    assert_same(out, by_python, by_duckdb)


def cell(value: Any) -> str:
    """A fact's value as the cell of an export without a mapping holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.mark.parametrize("which", ["clinic", "policy"])
def test_every_combination_partial_and_invalid_record_comes_out_the_same(
    request: pytest.FixtureRequest, tmp_path: Path, which: str
) -> None:
    """The DuckDB engine's own reading and walk, exact on every complete combination of
    values (the compared numbers' neighbours included), thousands of partial records and
    hundreds of invalid ones: as `evaluate` decides them through the Python engine."""
    policy: Policy = request.getfixturevalue(which)
    names = [fact.name for fact in policy.facts]
    scenarios = [
        *complete_combinations(policy),
        *partial_scenarios(policy, 3000, seed=2, most_unknown=len(names)),
        *invalid_scenarios(policy, 500, seed=3, most_wrong=2),
    ]
    records = tmp_path / "facts.csv"
    with records.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", *names])
        writer.writerows([[str(n), *(cell(s.get(name)) for name in names)] for n, s in enumerate(scenarios)])
    out = tmp_path / "out" / "audited.csv"
    out.parent.mkdir()
    by_python, by_duckdb = both_engines(records, None, policy, out)
    assert by_python.rows == len(scenarios)
    assert all(by_python.count(o) > 0 for o in ("billable", "not_billable", "undetermined", "invalid"))
    assert_same(out, by_python, by_duckdb)


@pytest.mark.parametrize("source", [".jsonl", ".parquet"])
def test_typed_cells_come_out_the_same(clinic: Policy, tmp_path: Path, source: str) -> None:
    """JSON numbers, booleans and nulls, and Parquet's types, read as the Python engine reads them."""
    rng = random.Random(11)
    lines = []
    for n in range(1500):
        lines.append(
            {
                "id": n,
                "provider_credential": rng.choice(["counselor", "peer", "nobody", None]),
                "activity": rng.choice(["benefits", "handoff", "driving", "provider_call", "other", None]),
                "documented": rng.choice([True, False, None]),
                "days_since_discharge": rng.choice([0, 12, 30, 31, -2, None]),
                "minutes": rng.choice([15, 30, None]),
            }
        )
    jsonl = tmp_path / "facts.jsonl"
    jsonl.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    records = jsonl
    if source == ".parquet":
        records = tmp_path / "facts.parquet"
        duckdb.connect().execute(f"COPY (SELECT * FROM read_json('{jsonl}')) TO '{records}' (FORMAT parquet)")
    for suffix in FORMATS:
        out = tmp_path / f"out{suffix}" / f"audited{suffix}"
        out.parent.mkdir()
        by_python, by_duckdb = both_engines(records, None, clinic, out)
        assert by_python.rows == 1500 and by_python.count("invalid") > 0
        assert_same(out, by_python, by_duckdb)


def test_a_malformed_line_is_located_and_nothing_is_written(clinic: Policy, tmp_path: Path) -> None:
    records = tmp_path / "facts.csv"
    records.write_text('activity,documented\nbenefits,true\n"driving,false\n', encoding="utf-8")
    export = open_export(records)
    binding = bind(default_mapping(clinic, export.columns), clinic, export.columns)
    target = tmp_path / "out.csv"
    with pytest.raises(Problems) as raised:
        audit_in_duckdb(export, binding, clinic, target)
    (problem,) = raised.value.diagnostics
    assert problem.code == "records.malformed" and str(problem.location).endswith("facts.csv:3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["facts.csv"]


def test_a_column_named_like_the_engine_s_own_is_refused(clinic: Policy, tmp_path: Path) -> None:
    records = tmp_path / "facts.csv"
    records.write_text("activity,billability leaf\nbenefits,1\n", encoding="utf-8")
    export = open_export(records)
    binding = bind(default_mapping(clinic, export.columns), clinic, export.columns)
    with pytest.raises(Problems) as raised:
        audit_in_duckdb(export, binding, clinic, tmp_path / "out.csv")
    (problem,) = raised.value.diagnostics
    assert problem.code == "records.column-taken" and "--engine python" in (problem.hint or "")


def test_progress_is_told_the_share_of_the_work_done(clinic: Policy, clinic_mapping: Path, tmp_path: Path) -> None:
    records = tmp_path / "export.csv"
    write_export(records, made_up_rows(seed=5, count=500))
    export = open_export(records)
    binding = bind(load_mapping(clinic_mapping, clinic, export.columns), clinic, export.columns)
    told: list[float] = []
    audit_in_duckdb(export, binding, clinic, tmp_path / "out.csv", told.append)
    assert told and told == sorted(told) and told[-1] == pytest.approx(1.0) and all(0 <= t <= 1 for t in told)


# --- an export in its own words: codes in any case, dates, scope, h:mm minutes ------------

MESSY_MAPPING = """\
policy: clinic
facts:
  provider_credential: {column: Credential, codes: {LCSW: counselor, Peer Support: peer, Résidente: peer}}
  activity:
    column: ServiceType
    codes: {Benefits: benefits, Handoff: handoff, Transport: driving, Phone follow-up: provider_call}
  contact_mode:
    column: ServiceType
    codes: {Phone follow-up: phone, Benefits: ~, Handoff: ~, Transport: ~}
  days_since_discharge:
    from_dates: {service: ServiceDate, discharge: DischargeDate}
    format: m/d/yyyy
  documented:
    from_dates: {service: ServiceDate, discharge: DischargeDate}
    format: m/d/yyyy
scope:
  column: Procedure
  codes: [Case Management, CM - Targeted]
summary:
  minutes: Duration
  staff: Staff
"""
MESSY_CELLS = {
    "Procedure": [
        "Case Management",
        "case management ",
        "CM - TARGETED",
        "Group Counseling",
        "No Show",
        "",
        "İn",
        "\tcm - targeted",
    ],
    "Credential": ["LCSW", "lcsw", " Peer support", "RÉSIDENTE", "Résidente", "İcsw", "Psychic", ""],
    "ServiceType": [
        "Benefits",
        "HANDOFF",
        "handoff ",
        "Transport",
        "phone follow-up",
        "Bingo",
        "\u00a0Benefits",
        "BENEFİTS",
        "",
    ],
    "ServiceDate": ["10/8/2026", "10/08/2026", "1/2/2026", "2/30/2026", "2026-10-08", "", " 3/4/2026\t"],
    "DischargeDate": ["10/1/2026", "9/1/2026", "10/8/2026", "11/1/2026", "", "", "13/1/2026", "1/1/0000"],
    "Duration": ["30", "1:15", "0:45", "", "1h", "2.5"],
}


def test_an_export_in_its_own_words_comes_out_the_same(clinic: Policy, tmp_path: Path) -> None:
    rng = random.Random(16)
    records = tmp_path / "export.csv"
    with records.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(["ServiceID", "Staff", *MESSY_CELLS])
        for n in range(4000):
            writer.writerow([f"S{n}", f"Staff {n % 5}", *(rng.choice(cells) for cells in MESSY_CELLS.values())])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MESSY_MAPPING, encoding="utf-8")
    for suffix in FORMATS:
        out = tmp_path / f"audited{suffix}"
        by_python, by_duckdb = both_engines(records, mapping, clinic, out)
        assert_same(out, by_python, by_duckdb)
    counts = {outcome: tally.rows for outcome, tally in by_python.by_outcome}
    assert sum(counts.values()) == by_python.rows == 4000
    assert all(counts[o] > 0 for o in ("billable", "not_billable", "undetermined", "invalid", "not_audited"))
    assert by_python.scope_column == "Procedure"
    assert by_python.unreadable_minutes is not None and by_python.unreadable_minutes.example == "1h"
    assert {p.code for p in by_python.problems} >= {"record.unknown-code", "record.date"}
    with (tmp_path / "duckdb-audited.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["ServiceID"] for row in rows] == [f"S{n}" for n in range(4000)]
    for row in rows:
        in_scope = row["Procedure"].strip().lower() in {"case management", "cm - targeted"}
        assert (row["outcome"] == "not_audited") is not in_scope, row
        if not in_scope:
            assert row["problems"] == row["rules"] == ""


@pytest.mark.parametrize("typed", ["DATE", "TIMESTAMP", "VARCHAR"])
def test_date_columns_typed_by_the_file_come_out_the_same(clinic: Policy, tmp_path: Path, typed: str) -> None:
    rng = random.Random(5)
    text = tmp_path / "dates.csv"
    with text.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["ServiceID", "Procedure", "Credential", "ServiceType", "ServiceDate", "DischargeDate"])
        for n in range(500):
            served = f"2026-10-{rng.randint(1, 31):02d}"
            discharged = rng.choice(["", f"2026-09-{rng.randint(1, 30):02d}", f"2026-10-{rng.randint(1, 31):02d}"])
            writer.writerow([f"S{n}", "CM - targeted", "LCSW", "Handoff", served, discharged])
    records = tmp_path / "dates.parquet"
    cast = {"DATE": "CAST({} AS DATE)", "TIMESTAMP": "CAST({} AS TIMESTAMP)", "VARCHAR": "{}"}[typed]
    dates = ", ".join(f"{cast.format(quoted)} AS {quoted}" for quoted in ('"ServiceDate"', '"DischargeDate"'))
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE ({dates}) FROM read_csv(?, all_varchar = true)) TO '{records}' (FORMAT parquet)",
        [str(text)],
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        MESSY_MAPPING.replace("m/d/yyyy", "yyyy-mm-dd").replace(
            "  minutes: Duration\n  staff: Staff\n", "  program: Procedure\n"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "audited.csv"
    by_python, by_duckdb = both_engines(records, mapping, clinic, out)
    assert_same(out, by_python, by_duckdb)
    counts = dict(by_python.by_outcome)
    assert counts["invalid"].rows == 0 and counts["not_audited"].rows == 0
    assert counts["not_billable"].rows > 0 and counts["billable"].rows > 0


def test_a_date_two_facts_are_derived_from_is_one_problem_an_error_when_either_bears(
    clinic: Policy, tmp_path: Path
) -> None:
    records = tmp_path / "export.csv"
    kinds = ["Benefits", "Handoff", "Transport", "Phone follow-up"]
    with records.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["ServiceID", "Staff", "Procedure", "Credential", "ServiceType", "ServiceDate", "DischargeDate"]
        )
        for n in range(400):
            kind, credential = kinds[n % 4], ["LCSW", "Peer Support", ""][n % 3]
            served = ["2/30/2026", "soon", "10/8/2026"][n % 5 % 3]
            writer.writerow([f"S{n}", "Staff", "Case Management", credential, kind, served, "10/1/2026"])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MESSY_MAPPING.replace("  minutes: Duration\n", ""), encoding="utf-8")
    for suffix in FORMATS:
        out = tmp_path / f"audited{suffix}"
        by_python, by_duckdb = both_engines(records, mapping, clinic, out)
        assert_same(out, by_python, by_duckdb)
    with (tmp_path / "duckdb-audited.jsonl").open(encoding="utf-8") as file:
        written = [json.loads(line) for line in file]
    severities = set()
    derived = {"days_since_discharge", "documented"}
    for row in written:
        if row["ServiceDate"] == "10/8/2026":
            assert row["problems"] == [], row
            continue
        (problem,) = row["problems"]  # one problem, though two facts are derived from the cell
        assert (problem["code"], problem["column"]) == ("record.date", "ServiceDate")
        facts: dict[str, Any] = {"activity": {"Benefits": "benefits", "Handoff": "handoff"}.get(row["ServiceType"])}
        facts["activity"] = facts["activity"] or {"Transport": "driving"}.get(row["ServiceType"], "provider_call")
        if row["ServiceType"] == "Phone follow-up":
            facts["contact_mode"] = "phone"
        if row["Credential"]:
            facts["provider_credential"] = {"LCSW": "counselor", "Peer Support": "peer"}[row["Credential"]]
        decision = clinic.evaluate(facts)
        bears = bool(derived & set(decision.missing))
        assert problem["severity"] == ("error" if bears else "warning"), row
        assert (row["outcome"] == "invalid") is bears, row
        if not bears:
            assert (row["outcome"], row["missing"]) == (str(decision.outcome), list(decision.missing)), row
        severities.add(problem["severity"])
    assert severities == {"error", "warning"}


@pytest.mark.parametrize("suffix", FORMATS)
def test_rows_only_the_interpreter_can_place_in_scope_come_out_the_same(
    clinic: Policy, tmp_path: Path, suffix: str
) -> None:
    records = tmp_path / "export.csv"
    with records.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["ServiceID", "Staff", "Procedure", "Credential", "ServiceType", "ServiceDate", "DischargeDate"]
        )
        for n, procedure in enumerate(["İn", "Case Management", "Résumé", "\u00a0case management", "No Show"] * 20):
            writer.writerow([f"S{n}", "Staff", procedure, "LCSW", "Benefits", "10/8/2026", ""])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MESSY_MAPPING.replace("  minutes: Duration\n", ""), encoding="utf-8")
    out = tmp_path / f"audited{suffix}"
    by_python, by_duckdb = both_engines(records, mapping, clinic, out)
    assert_same(out, by_python, by_duckdb)
    assert (by_python.count("not_audited"), by_python.count("billable")) == (60, 40)
