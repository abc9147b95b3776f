"""The policy's SQL query runs on the real engines it is written for (DuckDB, SQLite,
PostgreSQL, Spark) and answers as the interpreter does.

- Without a mapping (`sql.policy_sql(policy, table, dialect)`), over a table of text cells
  named like the facts: every complete combination of the facts' domain values, thousands
  of partial scenarios, the same scenarios padded with whitespace (spaces, tabs,
  non-breaking and em spaces, line ends), in other letter case, or blank; all decided as
  `Policy.evaluate` decides the scenario. Invalid values decide as `billability audit`
  decides the same cells under the default mapping: an unreadable cell the answer depends
  on makes the row `invalid` with an error, one it does not depend on leaves the answer
  with a warning.
- With the example mapping (`policy_sql(..., mapping=...)`), over the example export and a
  generated messy one (padded and lowercase codes, tabs and non-breaking spaces, blanks,
  unknown codes, dates that are none, rows out of the mapping's scope): every input column
  and every decision column equal, row by row, to the CSV `billability audit --engine
  python` writes (lists joined with `;`). The one difference allowed: the audit's "did you
  mean" hint, which a database cannot compute, is the hint the audit gives when nothing is
  close.

On each fixture policy and the bundled one; each engine runs few, big tables (Spark plans
the bundled policy's query for seconds). Spark and PostgreSQL start once for the run
(tests/audit/conftest.py); without them their tests skip, and fail in CI. Nothing here names a
fact, a value or a rule of the bundled policy.
"""

from __future__ import annotations

import csv
import datetime
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from billability.audit.binding import bind
from billability.audit.engines import PythonEngine
from billability.audit.mapping import default_mapping, load_mapping
from billability.audit.python_audit import Results
from billability.audit.results import LIST_SEPARATOR, OUTPUT_COLUMNS, RowResult
from billability.audit.sql import policy_sql
from billability.cli import main
from billability.model.policy import FactType, Value
from billability.policy.compiled import Policy
from policy_texts import CHECKOUT
from postgres import connect, postgres_cluster, require_postgres
from scenarios import complete_combinations, half_known_scenarios, invalid_scenarios, partial_scenarios
from sql_engines import (
    ENGINES,
    PostgreSQL,
    Spark,
    SqlEngine,
    SQLite,
    load_csv,
    query_hint,
    query_words,
    read_csv_text,
)
from sql_engines import DuckDB as DuckDBEngine

EXAMPLE_EXPORT = CHECKOUT / "docs" / "audit" / "ehr-export.csv"
EXAMPLE_MAPPING = CHECKOUT / "docs" / "audit" / "mapping.yaml"
RECORD_ID = "record_id"  # a column no mapping reads, to match the query's rows to the records
TABLE = "records"
# Whitespace around a cell: Python's `str.strip()` removes every one of them.
WRAPS = (
    " {}",
    "{}  ",
    "\t{}",
    "{}\u00a0",
    "\u2003{}\n",
    "\r\n{}\t ",
    "\u3000{}\u2028",
    "\x1c{}\x1f",
    "\x85{}\x0b",
    "\u2029{}\x0c",
)
BLANKS = ("", " ", "\t", "\u00a0", " \n ", "\u2003", "\x1e")
# Cells near a whole number that are none, or out of any range a database's integers hold.
NUMBER_EDGES = (
    "+5",
    "-0",
    "007",
    "99999999999999999999",
    "-99999999999999999999",
    "9223372036854775808",
    "1e3",
    "0x10",
    "1_000",
    "12 3",
    "5.",
    ".5",
    "-",
    "+",
    "--1",
    "\u0663",  # an Arabic-Indic digit: a digit to Python's `int`, none to the audit
    "\uff11\uff12",  # fullwidth digits
    "\u200b1",  # a zero-width space: no whitespace to `str.strip`
)
TRUTH_EDGES = ("t", "1", "yes", "tru e", "true\u200b", "\uff54rue", "TrUe", " FALSE ")


@pytest.fixture(
    scope="module",
    params=[pytest.param(name, marks=[pytest.mark.spark] if name == "spark" else []) for name in ENGINES],
)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlEngine]:
    """Each database, with its own empty tables for this module."""
    made: Any
    if request.param == "duckdb":
        made = DuckDBEngine()
    elif request.param == "sqlite":
        made = SQLite()
    elif request.param == "postgres":
        made = PostgreSQL(request.getfixturevalue("postgres"))
    else:
        made = Spark(request.getfixturevalue("spark"), tmp_path_factory.mktemp("spark-tables"))
    try:
        yield made
    finally:
        made.close()


# --- the harness: text cells reach each database as written -------------------------------------

AWKWARD_CELLS = ["plain", " padded ", "\ttab", "nbsp\u00a0", "", None, "o'clock", 'say "hi"', "a;b", "café ✓", "\n"]
LIST_QUERIES = {
    "duckdb": "SELECT ['a', 'b;c'] AS rules, CAST([] AS VARCHAR[]) AS missing",
    "postgres": "SELECT ARRAY['a', 'b;c'] AS rules, CAST(ARRAY[] AS TEXT[]) AS missing",
    "spark": "SELECT array('a', 'b;c') AS rules, CAST(array() AS ARRAY<STRING>) AS missing",
    "sqlite": "SELECT json_array('a', 'b;c') AS rules, '[]' AS missing",
}


def test_text_cells_and_lists_come_back_as_written(engine: SqlEngine, tmp_path: Path) -> None:
    rows = [[str(n), cell, cell] for n, cell in enumerate(AWKWARD_CELLS)]
    engine.load("awkward", ["n", "cell", "other cell"], rows)
    found = engine.run("SELECT * FROM awkward")
    assert sorted((row["n"], row["cell"], row["other cell"]) for row in found) == sorted(map(tuple, rows))  # type: ignore[arg-type]
    assert engine.run(LIST_QUERIES[engine.dialect]) == [{"rules": ["a", "b;c"], "missing": []}]
    export = tmp_path / "export.csv"
    export.write_text('\ufeffid,code\r\n1,"  Telephone\t"\r\n2,\r\n3,"a,b"\r\n', encoding="utf-8")
    assert load_csv(engine, "export", export) == ["id", "code"]
    found = engine.run("SELECT * FROM export")
    assert sorted((row["id"], row["code"]) for row in found) == [("1", "  Telephone\t"), ("2", None), ("3", "a,b")]


def test_a_throwaway_postgres_server_is_stopped_and_removed_at_the_end() -> None:
    require_postgres()
    with postgres_cluster() as cluster:
        with connect(cluster) as connection:
            assert connection.execute("SHOW listen_addresses").fetchone() == ("",)
            assert connection.execute("SHOW server_encoding").fetchone() == ("UTF8",)
        assert (cluster.socket_folder / "data" / "postmaster.pid").exists()
    assert not cluster.socket_folder.exists()


# --- what the audit says of a record -----------------------------------------------------------


def cell_text(value: Any) -> str | None:
    """A scenario's value as the text a cell of an export holds (None: the cell is NULL)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class Table:
    """Records of text cells, one per scenario: `record_id` then a column per fact."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str | None, ...], ...]
    kinds: dict[str, range]  # the rows of each kind of scenario


def table_of(policy: Policy, kinds: Mapping[str, Sequence[Sequence[str | None]]]) -> Table:
    columns = (RECORD_ID, *(fact.name for fact in policy.facts))
    rows: list[tuple[str | None, ...]] = []
    spans = {}
    for kind, cells in kinds.items():
        spans[kind] = range(len(rows), len(rows) + len(cells))
        rows += [(str(len(rows) + n), *row) for n, row in enumerate(cells)]
    return Table(columns, tuple(rows), spans)


def audited(policy: Policy, table: Table) -> list[dict[str, Any]]:
    """The row the query must return for each record: its cells, then what `billability
    audit` decides of them under the default mapping, hints as the query words them."""
    binding = bind(default_mapping(policy, table.columns), policy, table.columns)
    results = Results(binding, PythonEngine(policy))
    keys = [tuple(row[i] for i in binding.indexes) for row in table.rows]
    results.add(keys)
    made = []
    for number, (row, key) in enumerate(zip(table.rows, keys, strict=True), start=1):
        result = results.results[results.index[key]]
        made.append(
            {
                **dict(zip(table.columns, row, strict=True)),
                **decision_columns(number, result, policy),
            }
        )
    return made


def decision_columns(number: int, result: RowResult, policy: Policy) -> dict[str, Any]:
    return {
        "row": number,
        "outcome": result.outcome,
        "rules": list(result.rules),
        "reasons": list(result.reasons),
        "missing": list(result.missing),
        "problems": [str(query_hint(problem, policy)) for problem in result.problems],
        "policy_id": policy.id,
        "policy_version": policy.version,
    }


def evaluated(policy: Policy, scenario: Mapping[str, Value | None]) -> dict[str, Any]:
    """The decision columns `Policy.evaluate` gives a valid scenario."""
    decision = policy.evaluate({name: value for name, value in scenario.items() if value is not None})
    return {
        "outcome": str(decision.outcome),
        "rules": list(decision.rules),
        "reasons": list(decision.reasons),
        "missing": list(decision.missing),
        "problems": [],
    }


# --- the scenarios, as text cells --------------------------------------------------------------


def cells_of(policy: Policy, scenario: Mapping[str, Any]) -> list[str | None]:
    return [cell_text(scenario.get(fact.name)) for fact in policy.facts]


def roughed(policy: Policy, scenario: Mapping[str, Value | None], rng: random.Random) -> list[str | None]:
    """The scenario's cells as a careless export writes them: padded with whitespace, in
    other letter case, and an unknown fact's cell blank rather than NULL."""
    made: list[str | None] = []
    for fact, cell in zip(policy.facts, cells_of(policy, scenario), strict=True):
        if cell is None:
            made.append(rng.choice([None, *BLANKS]))
            continue
        if fact.type is not FactType.INTEGER and rng.random() < 0.4:
            cell = rng.choice([cell.upper(), cell.title(), cell.swapcase()])
        if rng.random() < 0.6:
            cell = rng.choice(WRAPS).format(cell)
        made.append(cell)
    return made


def edge_cells(policy: Policy, complete: Sequence[Mapping[str, Value]], rng: random.Random) -> list[list[str | None]]:
    """Records of complete combinations, one cell each replaced by a text at the edge of
    what the fact's cells may hold (three records per text)."""
    made = []
    for at, fact in enumerate(policy.facts):
        if fact.type is FactType.INTEGER:
            edges: Sequence[str] = NUMBER_EDGES
        elif fact.type is FactType.BOOLEAN:
            edges = TRUTH_EDGES
        else:
            first = fact.value_names[0]
            # Python lowers the Kelvin sign to `k` and `İ` to `i` and a combining dot.
            kelvin, dotted = first.upper().replace("K", "\u212a"), first.upper().replace("I", "\u0130")
            edges = (first.replace("_", " "), f"{first} {first}", f"\u200b{first}", first[:-1], kelvin, dotted)
        for edge in edges:
            for _ in range(3):
                cells = cells_of(policy, rng.choice(complete))
                cells[at] = edge
                made.append(cells)
    return made


@dataclass(frozen=True, slots=True)
class Scenarios:
    """The scenarios each kind of record stands for (valid kinds only) and the table."""

    valid: dict[str, list[dict[str, Value | None]]]
    table: Table


def scenarios_for(policy: Policy) -> Scenarios:
    complete = list(complete_combinations(policy))
    partial = [
        *partial_scenarios(policy, 1500, seed=11, most_unknown=4),
        *partial_scenarios(policy, 200, seed=12, most_unknown=len(policy.facts)),
        *half_known_scenarios(policy, 800, seed=13),
        {},
    ]
    rng = random.Random(14)
    padded = partial_scenarios(policy, 1500, seed=15, most_unknown=3)
    invalid = [
        *invalid_scenarios(policy, 600, seed=16, most_wrong=3),
        *invalid_scenarios(policy, 200, seed=17, most_wrong=1),
    ]
    table = table_of(
        policy,
        {
            "complete": [cells_of(policy, s) for s in complete],
            "partial": [cells_of(policy, s) for s in partial],
            "padded": [roughed(policy, s, rng) for s in padded],
            "invalid": [cells_of(policy, s) for s in invalid] + edge_cells(policy, complete, rng),
        },
    )
    return Scenarios({"complete": complete, "partial": partial, "padded": padded}, table)  # type: ignore[dict-item]


@dataclass(frozen=True, slots=True)
class Run:
    scenarios: Scenarios
    rows: list[dict[str, Any]]  # the query's rows, in the records' order by `record_id`
    expected: list[dict[str, Any]]


_RUNS: dict[tuple[str, str], Run | Exception] = {}


def decided(engine: SqlEngine, policy: Policy) -> Run:
    """The query's rows over the scenarios' table, run once per engine and policy."""
    key = (engine.dialect, policy.id)
    if key not in _RUNS:
        scenarios = scenarios_for(policy)
        table = scenarios.table
        try:
            engine.load(TABLE, table.columns, table.rows)
            found = engine.run(policy_sql(policy, TABLE, engine.dialect))
            assert len(found) == len(table.rows), "other rows than the records"
            rows = sorted(found, key=lambda row: int(row[RECORD_ID]))
            assert [row[RECORD_ID] for row in rows] == [row[0] for row in table.rows], "other rows than the records"
            _RUNS[key] = Run(scenarios, rows, audited(policy, table))
        except Exception as error:
            # Each test of the run reports the failure without running the query again.
            _RUNS[key] = error
    run = _RUNS[key]
    if isinstance(run, Exception):
        raise run
    return run


def differing(run: Run, kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(the query's row, the expected row) wherever they differ among a kind's records."""
    span = run.scenarios.table.kinds[kind]
    return [(run.rows[n], run.expected[n]) for n in span if run.rows[n] != run.expected[n]][:5]


def test_the_query_returns_every_input_column_then_the_audit_s(engine: SqlEngine, any_policy: Policy) -> None:
    run = decided(engine, any_policy)
    assert list(run.rows[0]) == [*run.scenarios.table.columns, *OUTPUT_COLUMNS]
    assert [row["row"] for row in run.rows] == list(range(1, len(run.rows) + 1))


@pytest.mark.parametrize("kind", ["complete", "partial", "padded"])
def test_valid_records_decide_as_evaluate(engine: SqlEngine, any_policy: Policy, kind: str) -> None:
    """Every complete combination, thousands of partial scenarios, and the same scenarios
    padded with whitespace, in other case, their unknown facts blank: as evaluate decides."""
    run = decided(engine, any_policy)
    span = run.scenarios.table.kinds[kind]
    scenarios = run.scenarios.valid[kind]
    wrong = [
        (scenario, row)
        for scenario, row in zip(scenarios, (run.rows[n] for n in span), strict=True)
        if {column: row[column] for column in ("outcome", "rules", "reasons", "missing", "problems")}
        != evaluated(any_policy, scenario)
    ]
    assert wrong[:5] == []
    assert differing(run, kind) == []
    outcomes = {run.rows[n]["outcome"] for n in span}
    assert len(outcomes) >= 2 and "invalid" not in outcomes


def test_invalid_values_decide_as_the_audit_decides_them(engine: SqlEngine, any_policy: Policy) -> None:
    """Values no fact has (near misses, stray texts, numbers out of range or with a
    fraction, yes/no texts other than true and false): an error and `invalid` when the
    answer depends on the cell, else the answer with a warning, as the audit says."""
    run = decided(engine, any_policy)
    assert differing(run, "invalid") == []
    rows = [run.rows[n] for n in run.scenarios.table.kinds["invalid"]]
    outcomes = {row["outcome"] for row in rows}
    assert "invalid" in outcomes and len(outcomes) >= 3
    severities = {problem.partition("[")[0] for row in rows for problem in row["problems"]}
    assert severities == {"error", "warning"}


# --- the mapping: the query over an export, against `billability audit` ---------------------------

CODED = ("staff_credential", "procedure", "service_type", "contact_method", "contact_outcome")
YES_NO = ("medical_necessity", "progress_note")
DATES = ("service_date", "discharge_date")
UNKNOWN_CODES = ("RN", "Fax", "TBD", "?", "Telephon", "Case Managment", "LCSWW", "Reachd")
ODD_YES_NO = ("maybe", "y", "n", "Yes", "U", "1", "Y N")
ODD_DATES = (
    "2/30/2026",
    "2/29/2026",
    "2/29/2028",
    "2/29/2100",
    "2/29/2000",
    "TBD",
    "2026-10-08",
    "10/8",
    "0/1/2026",
    "13/1/2026",
    "1/32/2026",
    "01/05/2026",
    "1/1/0000",
    "12/31/9999",
    "10/ 8/2026",
    "+1/1/2026",
    "1/1/20261",
    "\u0661/1/2026",  # an Arabic-Indic digit: a digit to `isdigit`, none to the date pattern
)
OUT_OF_SCOPE = ("Group Counseling", "No Show", "case management  x")


def messy_export(path: Path, count: int, seed: int) -> None:
    """The example export's rows, then `count` of them drawn again and roughed up as a
    report writer exports them (see the module docstring), as CSV with a byte order mark
    and CRLF line ends: one table for both, as Spark plans each query for seconds."""
    columns, example = read_csv_text(EXAMPLE_EXPORT)
    at = {name: columns.index(name) for name in columns}
    rng = random.Random(seed)
    rows = [list(row) for row in example]
    for n in range(count):
        row = list(rng.choice(example))
        row[at["service_id"]] = f"MSY-{n:05d}"
        for name in (*CODED, *YES_NO):
            cell, roll = row[at[name]], rng.random()
            if roll < 0.05 and cell:
                cell = rng.choice([cell.lower(), cell.upper(), f"  {cell} "])
            elif roll < 0.10 and cell:
                cell = rng.choice(WRAPS).format(cell)
            elif roll < 0.13:
                cell = rng.choice(BLANKS)
            elif roll < 0.16:
                cell = rng.choice(ODD_YES_NO if name in YES_NO else UNKNOWN_CODES)
            row[at[name]] = cell
        if rng.random() < 0.08:
            row[at["procedure"]] = rng.choice(OUT_OF_SCOPE)
        service = datetime.date(2026, 10, 1) + datetime.timedelta(days=rng.randint(0, 60))
        row[at["service_date"]] = f"{service.month}/{service.day}/{service.year}"
        roll = rng.random()
        if roll < 0.5:
            discharged = service + datetime.timedelta(days=rng.randint(-400, 30))
            row[at["discharge_date"]] = f"{discharged.month}/{discharged.day}/{discharged.year}"
        elif roll < 0.6:
            row[at["discharge_date"]] = rng.choice(BLANKS)
        for name in DATES:
            roll = rng.random()
            if roll < 0.04:
                row[at[name]] = rng.choice(ODD_DATES)
            elif roll < 0.08 and row[at[name]]:
                row[at[name]] = rng.choice(WRAPS).format(row[at[name]])
        rows.append(row)
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("\ufeff")
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([cell if cell is not None else "" for cell in row] for row in rows)


def audit_csv(export: Path, target: Path, policy: Policy) -> list[dict[str, str]]:
    """`billability audit --engine python` of the export with the example mapping: its CSV
    rows, each problem's hint as the query words it."""
    ran = CliRunner().invoke(
        main,
        ["audit", str(export), "--map", str(EXAMPLE_MAPPING), "--engine", "python", "-o", str(target)],
    )
    assert target.exists(), ran.output
    with target.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        row["problems"] = query_words(row["problems"], policy)
    return rows


def as_csv_cells(row: Mapping[str, Any]) -> dict[str, str]:
    """A row of the query as the audit's CSV writes it: NULL empty, lists joined with `;`."""
    return {
        name: "" if value is None else LIST_SEPARATOR.join(value) if isinstance(value, list) else str(value)
        for name, value in row.items()
    }


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "export.csv"
    messy_export(path, 3000, seed=21)
    return path


@dataclass(frozen=True, slots=True)
class Mapped:
    columns: list[str]
    rows: list[dict[str, str]]  # the query's rows as the audit's CSV writes them, by `row`
    expected: list[dict[str, str]]  # the audit's CSV rows


_AUDITED: list[list[dict[str, str]]] = []
_MAPPED: dict[str, Mapped | Exception] = {}


def mapped(engine: SqlEngine, policy: Policy, export: Path, folder: Path) -> Mapped:
    """The mapped query's rows over the export, run once per engine, and the audit's."""
    if not _AUDITED:
        _AUDITED.append(audit_csv(export, folder / "audited.csv", policy))
    if engine.dialect not in _MAPPED:
        try:
            columns = load_csv(engine, "ehr_export", export)
            mapping = load_mapping(EXAMPLE_MAPPING, policy, None)
            found = engine.run(policy_sql(policy, "ehr_export", engine.dialect, mapping=mapping))
            rows = sorted(map(as_csv_cells, found), key=lambda row: int(row["row"]))
            _MAPPED[engine.dialect] = Mapped(columns, rows, _AUDITED[0])
        except Exception as error:
            _MAPPED[engine.dialect] = error
    run = _MAPPED[engine.dialect]
    if isinstance(run, Exception):
        raise run
    return run


@pytest.mark.parametrize("part", ["example", "messy"])
def test_the_mapped_query_writes_what_the_audit_writes(
    engine: SqlEngine, policy: Policy, export: Path, part: str, tmp_path: Path
) -> None:
    """Every row of the example export, then of the messy one, column by column."""
    run = mapped(engine, policy, export, tmp_path)
    assert len(run.rows) == len(run.expected)
    assert list(run.rows[0]) == [*run.columns, *OUTPUT_COLUMNS]
    examples = len(read_csv_text(EXAMPLE_EXPORT)[1])
    span = range(examples) if part == "example" else range(examples, len(run.expected))
    wrong = [(run.rows[n], run.expected[n]) for n in span if run.rows[n] != run.expected[n]]
    assert wrong[:3] == []
    outcomes = {run.rows[n]["outcome"] for n in span}
    assert {"not_audited", "invalid"} <= outcomes and len(outcomes) >= 5
