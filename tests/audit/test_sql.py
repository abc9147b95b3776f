"""The policy's SQL query (sql.py), run in-process by DuckDB and SQLite, decides every
record as `billability audit` does: a record whose cells all read is decided as
`policy.evaluate` decides its scenario (outcome, rules, reasons, missing facts); a cell
that cannot be read makes the record `invalid` exactly when a fact it feeds is among
the missing facts of the answer with that cell blank, and is a warning on that answer
otherwise (`audit.with_problems`); blank and whitespace-only cells are unknown, and
surrounding whitespace and letter case do not count. On the clinic fixture and the
checkout's policy: every complete combination of the facts' domain values, thousands
of partial scenarios, hundreds of records with cells that cannot be read, in typed
columns and as text; and on generated policies. Then `--map`: the query over the
example export and a messy one equals `billability audit --engine python` column for
column. Then the dialects, and `billability sql`.

Nothing here names a fact, a value or a rule of the checkout's policy, but the example
export's columns (docs/audit/).
"""

from __future__ import annotations

import csv
import functools
import json
import random
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_inputs import EXAMPLE
from billability.audit.binding import Binding, bind
from billability.audit.mapping import default_mapping, load_mapping
from billability.audit.python_audit import with_problems
from billability.audit.results import OUTPUT_COLUMNS, RowResult
from billability.audit.sql import RUN_DIALECTS, policy_query, policy_sql
from billability.checks import strategies
from billability.cli import main
from billability.model.policy import FactType
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from billability.policy.sourcetext import statements
from policy_texts import CHECKOUT, CLINIC
from scenarios import complete_combinations, half_known_scenarios, invalid_scenarios, partial_scenarios
from sql_engines import LIST_COLUMNS, csv_cell, query_hint, query_words

ENGINES = ("duckdb", "sqlite")
ROW_ID = "row_id"

Answer = tuple[str, list[str], list[str], list[str], list[str]]
"""A record's outcome, rules, reasons, missing facts and problems."""


# --- what the audit says of a record ----------------------------------------------------------


@functools.lru_cache(maxsize=8)
def default_binding(policy: Policy) -> Binding:
    names = [fact.name for fact in policy.facts]
    return bind(default_mapping(policy, names), policy, names)


def audit_answer(policy: Policy, cells: Sequence[Any]) -> Answer:
    """What `billability audit` (its Python engine) says of a record whose cells, one
    per fact in the policy's order, are `cells`: each read as the default mapping reads
    it, the scenario decided by `policy.evaluate`, unreadable cells weighed by
    `audit.with_problems`."""
    facts, problems = default_binding(policy).facts(list(cells))
    decision = policy.evaluate(facts)
    result = RowResult(str(decision.outcome), decision.rules, decision.reasons, decision.missing)
    said = with_problems(result, tuple(query_hint(p, policy) for p in problems))
    return (said.outcome, list(said.rules), list(said.reasons), list(said.missing), [str(p) for p in said.problems])


def evaluate_answer(policy: Policy, scenario: Mapping[str, Any]) -> Answer:
    """`policy.evaluate`'s answer for a scenario of valid values (None: unknown)."""
    decision = policy.evaluate({k: v for k, v in scenario.items() if v is not None})
    return (str(decision.outcome), list(decision.rules), list(decision.reasons), list(decision.missing), [])


# --- tables of records --------------------------------------------------------------------------


def as_text(value: Any) -> str | None:
    """A cell as an export holds it in a text column."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


TYPED = {FactType.ENUM: "VARCHAR", FactType.BOOLEAN: "BOOLEAN", FactType.INTEGER: "BIGINT"}


def cells_of(policy: Policy, scenario: Mapping[str, Any], typed: bool) -> list[Any]:
    """The record's cells in the policy's order: typed values, or all text."""
    cells = [scenario.get(fact.name) for fact in policy.facts]
    return cells if typed else [as_text(cell) for cell in cells]


def query_rows(
    policy: Policy, engine: str, records: Sequence[Sequence[Any]], typed: bool = False, query: str | None = None
) -> list[tuple[Any, ...]]:
    """The query's rows over a table `records` of the records (with `row_id` first),
    run by DuckDB (columns typed or all text) or SQLite (as stored)."""
    names = [ROW_ID, *(fact.name for fact in policy.facts)]
    sql = query or written(policy, engine)
    rows = [(at, *cells) for at, cells in enumerate(records)]
    if engine == "duckdb":
        types = ["BIGINT", *(TYPED[fact.type] if typed else "VARCHAR" for fact in policy.facts)]
        connection = duckdb.connect()
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "records.jsonl"
                path.write_text("".join(json.dumps(dict(zip(names, row, strict=True))) + "\n" for row in rows))
                columns = "{" + ", ".join(f"'{n}': '{t}'" for n, t in zip(names, types, strict=True)) + "}"
                connection.execute(
                    "CREATE TABLE records AS SELECT * FROM "
                    f"read_json(?, format = 'newline_delimited', columns = {columns})",
                    [str(path)],
                )
            return connection.execute(sql).fetchall()
        finally:
            connection.close()
    lite = sqlite3.connect(":memory:")
    try:
        lite.execute(f"CREATE TABLE records ({', '.join(f'{chr(34)}{n}{chr(34)}' for n in names)})")
        lite.executemany(f"INSERT INTO records VALUES ({', '.join('?' * len(names))})", rows)
        return lite.execute(sql).fetchall()
    finally:
        lite.close()


@functools.lru_cache(maxsize=8)
def written(policy: Policy, engine: str) -> str:
    return policy_sql(policy, "records", engine)


def answers(policy: Policy, rows: Sequence[tuple[Any, ...]]) -> list[Answer]:
    """Each row's outcome and lists (JSON text in SQLite), in `row_id` order; checks
    that `row` counts the records from 1 in the table's order and the stamp."""
    width = 1 + len(policy.facts)
    found = []
    for at, row in enumerate(rows):
        assert row[0] == at and row[width] == at + 1, "rows out of the table's order"
        outcome, *lists = row[width + 1 : width + 6]
        assert row[width + 6 :] == (policy.id, policy.version)
        found.append((outcome, *(json.loads(items) if isinstance(items, str) else list(items) for items in lists)))
    return found


def differences(policy: Policy, engine: str, scenarios: Sequence[Mapping[str, Any]], typed: bool = False) -> list[Any]:
    """(cells, the query's answer, the audit's) wherever they differ."""
    records = [cells_of(policy, scenario, typed) for scenario in scenarios]
    decided = answers(policy, query_rows(policy, engine, records, typed))
    assert len(decided) == len(records)
    return [
        (cells, got, expected)
        for cells, got in zip(records, decided, strict=True)
        if got != (expected := audit_answer(policy, cells))
    ]


# --- exact: the query decides as evaluate and the audit ------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_every_complete_combination_decides_as_evaluate(any_policy: Policy, engine: str) -> None:
    scenarios = list(complete_combinations(any_policy))
    assert len(scenarios) >= 100
    typed = engine == "duckdb"
    records = [cells_of(any_policy, s, typed) for s in scenarios]
    decided = answers(any_policy, query_rows(any_policy, engine, records, typed))
    expected = [evaluate_answer(any_policy, s) for s in scenarios]
    assert [i for i, (got, want) in enumerate(zip(decided, expected, strict=True)) if got != want] == []
    assert len({answer[0] for answer in decided}) >= 2


@pytest.mark.parametrize("engine", ENGINES)
def test_thousands_of_partial_scenarios_decide_as_evaluate(any_policy: Policy, engine: str) -> None:
    # Many with a few facts unknown, fewer with any number unknown, and nothing known.
    scenarios = [
        *partial_scenarios(any_policy, 2000, seed=11, most_unknown=4),
        *partial_scenarios(any_policy, 300, seed=12, most_unknown=len(any_policy.facts)),
        *half_known_scenarios(any_policy, 1000, seed=13),
        {},
    ]
    records = [cells_of(any_policy, s, False) for s in scenarios]
    decided = answers(any_policy, query_rows(any_policy, engine, records))
    expected = [evaluate_answer(any_policy, s) for s in scenarios]
    assert [i for i, (got, want) in enumerate(zip(decided, expected, strict=True)) if got != want] == []
    outcomes = [answer[0] for answer in decided]
    assert 0 < outcomes.count("undetermined") < len(scenarios)


@pytest.mark.parametrize("engine", ENGINES)
def test_cells_that_cannot_be_read_are_weighed_as_the_audit_weighs_them(any_policy: Policy, engine: str) -> None:
    """Values a fact does not have, numbers out of range or with a fraction, texts that
    are no yes or no, some beside unknown facts: `invalid` where the answer depends on
    the cell, else the answer with a warning."""
    scenarios = invalid_scenarios(any_policy, 600, seed=21, most_wrong=3)
    assert differences(any_policy, engine, scenarios) == []
    decided = [audit_answer(any_policy, cells_of(any_policy, s, False)) for s in scenarios]
    assert {"invalid"} < {answer[0] for answer in decided}  # both invalid records and decided ones
    assert any(p.startswith("warning[") for answer in decided for p in answer[4])
    assert any(len(answer[4]) > 1 for answer in decided)


def test_wrong_values_in_typed_columns_are_weighed_as_the_audit_weighs_them(any_policy: Policy) -> None:
    scenarios = invalid_scenarios(any_policy, 300, seed=22, typed=True)
    assert differences(any_policy, "duckdb", scenarios, typed=True) == []


def spellings(policy: Policy, rng: random.Random) -> list[dict[str, Any]]:
    """Records whose cells are written as people write them: case changed, whitespace
    around (spaces, tabs, line ends, a no-break space), blank and whitespace-only
    cells, signs and leading zeros, a close miss that the audit would guess."""
    made = []
    pads = ("", " ", "  ", "\t", "\n", "\u00a0", "\u3000", " \r\n")
    for scenario in complete_combinations(policy):
        if rng.random() > 0.3:
            continue
        record: dict[str, Any] = {}
        for name, value in scenario.items():
            text = as_text(value) or ""
            choice = rng.random()
            if choice < 0.3:
                text = rng.choice([text.upper(), text.title(), text.lower()])
            elif choice < 0.4 and isinstance(value, int) and not isinstance(value, bool):
                text = rng.choice([f"+{value}", f"0{value}" if value >= 0 else f"-0{-value}", f"{value}.0"])
            elif choice < 0.5:
                text = rng.choice(["", " ", "\t", "\u00a0 "])
            elif choice < 0.55:
                text = text[:-1] + "x"
            record[name] = rng.choice(pads) + text + rng.choice(pads)
        made.append(record)
    return made


@pytest.mark.parametrize("engine", ENGINES)
def test_case_and_surrounding_whitespace_do_not_count_and_blank_is_unknown(any_policy: Policy, engine: str) -> None:
    scenarios = spellings(any_policy, random.Random(5))
    assert len(scenarios) > 20
    assert differences(any_policy, engine, scenarios) == []


def test_the_comparison_notices_a_query_that_decides_otherwise(clinic: Policy) -> None:
    """A query with one leaf's outcome changed, or a problem that is never an error, differs."""
    scenarios = [*complete_combinations(clinic), *invalid_scenarios(clinic, 200, seed=33, most_wrong=3)]
    records = [cells_of(clinic, s, False) for s in scenarios]
    query = written(clinic, "duckdb")

    def wrong(changed: str) -> list[Any]:
        assert changed != query
        decided = answers(clinic, query_rows(clinic, "duckdb", records, query=changed))
        return [got for cells, got in zip(records, decided, strict=True) if got != audit_answer(clinic, cells)]

    assert wrong(query.replace("'not_billable'", "'needs_review'", 1)) != []
    assert wrong(query.replace("'error'", "'warning'")) != []
    with pytest.raises(AssertionError, match="out of the table's order"):
        wrong(query.replace("ORDER BY", "ORDER BY -1 *", 1))


SOURCE = (CLINIC / "policy" / "sources" / "table.txt").read_text(encoding="utf-8")
GENERATED = strategies.policies(SOURCE, statements(SOURCE)[0].text)


@settings(max_examples=25)
@given(GENERATED, st.randoms(use_true_random=False))
def test_generated_policies_decide_as_evaluate_and_the_audit(policy: Policy, rng: random.Random) -> None:
    """Every complete combination, partial scenarios made from them, and wrong values of
    every kind (generated policies have at most four facts)."""
    combinations = list(complete_combinations(policy))
    partial = [
        {name: value for name, value in scenario.items() if rng.random() < 0.5}
        for scenario in rng.sample(combinations, min(len(combinations), 30))
    ]
    invalid = invalid_scenarios(policy, 30, seed=rng.randrange(1000))
    assert differences(policy, "duckdb", [*combinations, *partial, *invalid, {}]) == []


# --- --map: the query over an export equals the audit ---------------------------------------------


def messy_export(target: Path, seed: int = 3) -> None:
    """The example export as a careless report writer makes it: codes padded, in other
    case, with tabs; blank and whitespace-only cells; codes the mapping lacks (some
    close to one it has); dates that are no dates, or a discharge after the service;
    rows outside the scope and inside it in other spellings."""
    rng = random.Random(seed)
    with (EXAMPLE / "ehr-export.csv").open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    columns = list(rows[0])
    rough = {
        "staff_credential": ["LCSW-X", "lcsw ", " Case aide", "Nurse", "Peer Support", "\tLMFT\t"],
        "service_type": ["advocacy", "ADVOCACY ", "Warm Hand-off", "Transport", "  Other CM"],
        "contact_method": ["telephone", " In person", "Fax", "Telefone", "not applicable"],
        "contact_outcome": ["reached", "No Answer ", "maybe", "Left msg"],
        "medical_necessity": ["y", " n", "Yes", "?", "\u00a0Y"],
        "progress_note": ["y", "N ", "no", "1"],
        "service_date": ["13/45/2026", "2026-10-08", "soon", " 10/8/2026 ", "2/29/2026", "2/29/2028"],
        "discharge_date": ["12/31/2026", "1/1/2027", "not yet", "9/31/2026", " 9/30/2026", "1/1/1900"],
        "procedure": ["Group Counseling", " case management ", "CASE MANAGEMENT", "No-show", "", " "],
    }
    blanks = ["", " ", "\t", "  \t "]
    for row in rows:
        for column, choices in rough.items():
            roll = rng.random()
            if roll < 0.12:
                row[column] = rng.choice(choices)
            elif roll < 0.18:
                row[column] = rng.choice(blanks)
            elif roll < 0.3 and row[column]:
                row[column] = rng.choice([" ", "  ", "\t"]) + row[column] + rng.choice(["", " ", "\t"])
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)


def audit_rows(export: Path, policy: Policy, tmp_path: Path) -> list[dict[str, str]]:
    """`billability audit --engine python` of the export, as its CSV output; hints that
    guess a close code said as the query says them."""
    target = tmp_path / "audited.csv"
    result = CliRunner().invoke(
        main,
        ["audit", str(export), "--map", str(EXAMPLE / "mapping.yaml"), "--engine", "python", "-o", str(target)],
    )
    assert result.exit_code == 0, result.stderr
    with target.open(encoding="utf-8", newline="") as written_rows:
        rows = list(csv.DictReader(written_rows))
    for row in rows:
        row["problems"] = query_words(row["problems"], policy)
    return rows


def mapped_rows(policy: Policy, export: Path, engine: str) -> list[dict[str, str]]:
    """The `--map` query's rows on DuckDB or SQLite over the export read as text (an
    empty cell as NULL), each cell as the audit's CSV writes it (lists joined with `;`,
    JSON text read as its list, NULL as an empty cell)."""
    mapping = load_mapping(EXAMPLE / "mapping.yaml", policy, None)
    query = policy_sql(policy, "ehr_export", engine, mapping=mapping)
    if engine == "sqlite":
        with export.open(encoding="utf-8", newline="") as source:
            header, *records = list(csv.reader(source))
        lite = sqlite3.connect(":memory:")
        try:
            lite.execute(f"CREATE TABLE ehr_export ({', '.join(chr(34) + n + chr(34) for n in header)})")
            lite.executemany(
                f"INSERT INTO ehr_export VALUES ({', '.join('?' * len(header))})",
                [[cell or None for cell in record] for record in records],
            )
            cursor = lite.execute(query)
            names = [d[0] for d in cursor.description]
            found = [
                tuple(
                    json.loads(v) if n in LIST_COLUMNS and isinstance(v, str) else v
                    for n, v in zip(names, row, strict=True)
                )
                for row in cursor.fetchall()
            ]
        finally:
            lite.close()
        return [dict(zip(names, map(csv_cell, row), strict=True)) for row in found]
    connection = duckdb.connect()
    try:
        connection.execute(
            "CREATE TABLE ehr_export AS SELECT * FROM read_csv(?, header = true, all_varchar = true, "
            "quote = '\"', escape = '\"', strict_mode = true)",
            [str(export)],
        )
        cursor = connection.execute(query)
        names = [d[0] for d in cursor.description]
        found = cursor.fetchall()
    finally:
        connection.close()
    return [dict(zip(names, map(csv_cell, row), strict=True)) for row in found]


@pytest.fixture(scope="module")
def shipped() -> Policy:
    return load_policy(CHECKOUT / "policy")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("export", ["example", "messy"])
def test_the_mapped_query_equals_the_audit_column_for_column(
    shipped: Policy, tmp_path: Path, export: str, engine: str
) -> None:
    path = EXAMPLE / "ehr-export.csv"
    if export == "messy":
        path = tmp_path / "messy.csv"
        messy_export(path)
    expected = audit_rows(path, shipped, tmp_path)
    got = mapped_rows(shipped, path, engine)
    assert len(got) == len(expected) > 100
    assert list(got[0]) == list(expected[0])
    assert list(got[0])[-len(OUTPUT_COLUMNS) :] == list(OUTPUT_COLUMNS)
    differing = [(n, g, e) for n, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e]
    assert differing == []
    outcomes = {row["outcome"] for row in expected}
    assert {"not_audited", "billable"} <= outcomes
    if export == "messy":
        assert "invalid" in outcomes
        assert any("warning[" in row["problems"] for row in expected)


# --- dialects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", RUN_DIALECTS)
def test_the_query_parses_back_in_its_dialect(any_policy: Policy, dialect: str) -> None:
    text = policy_sql(any_policy, "claims.records", dialect)
    parsed = sqlglot.parse_one(text, read=dialect)
    assert isinstance(parsed, sqlglot.exp.Select)
    assert parsed.named_selects[-len(OUTPUT_COLUMNS) + 1 :] == list(OUTPUT_COLUMNS[1:])
    tables = [t for t in parsed.find_all(sqlglot.exp.Table) if isinstance(t.this, sqlglot.exp.Identifier)]
    assert [(t.db, t.name) for t in tables] == [("claims", "records")]


@pytest.mark.parametrize("dialect", ["postgres", "spark", "sqlite"])
def test_the_query_calls_nothing_of_duckdb_alone(any_policy: Policy, dialect: str) -> None:
    text = policy_sql(any_policy, "records", dialect).upper()
    for duckdb_only in ("LIST_FILTER", "LAMBDA", "LIST_", "::", "STRUCT_PACK", "REGEXP_MATCHES"):
        assert duckdb_only not in text
    if dialect != "postgres":
        assert "ARRAY[" not in text


def test_spark_numbers_the_rows_in_the_order_it_reads_them(clinic: Policy) -> None:
    text = policy_sql(clinic, "records", "spark")
    assert re.search(r"ROW_NUMBER\(\) OVER \(ORDER BY MONOTONICALLY_INCREASING_ID\(\)", text)


def test_sqlite_lists_are_json_text_that_keeps_quotes_and_backslashes(clinic: Policy) -> None:
    """A problem's words hold the cell's text, backticks, quotes and backslashes among them."""
    choice = next(fact for fact in clinic.facts if fact.type is FactType.ENUM)
    cells = [['a "quoted" \\ back`tick`' if fact is choice else None for fact in clinic.facts]]
    (row,) = query_rows(clinic, "sqlite", cells)
    (answer,) = answers(clinic, [row])
    assert answer == audit_answer(clinic, cells[0])
    assert '"quoted" \\ back`tick`' in answer[4][0]


def test_the_query_is_one_select_under_any_mapping(clinic: Policy) -> None:
    names = [fact.name for fact in clinic.facts]
    assert policy_query(clinic).sql() == policy_query(clinic, mapping=default_mapping(clinic, names)).sql()


# --- billability sql -----------------------------------------------------------------------------


def run(*args: str, policy: Path = CLINIC / "policy") -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["sql", "--policy", str(policy), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("dialect", ["snowflake", "mysql", "bigquery", "databricks"])
def test_a_dialect_the_tests_do_not_run_is_refused_naming_those_they_do(dialect: str) -> None:
    code, out, err = run("--dialect", dialect)
    assert code == 2 and out == ""
    assert f"option --dialect `{dialect}`: error[sql.dialect]:" in err
    assert "`duckdb`, `postgres`, `spark` and `sqlite`" in err
    assert "Traceback" not in err


def test_a_misspelt_dialect_is_a_located_error_with_a_hint() -> None:
    code, out, err = run("--dialect", "postgress")
    assert code == 2 and out == ""
    assert "option --dialect `postgress`" in err
    assert "sql.dialect" in err
    assert "did you mean `postgres`?" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("table", ["records; DROP TABLE records", "claims..records", "a.b.c.d", "", "1records"])
def test_a_name_that_is_no_table_is_a_located_error(table: str) -> None:
    code, out, err = run("--table", table)
    assert code == 2 and out == ""
    assert f"option --table `{table}`" in err
    assert "sql.table" in err
    assert "Traceback" not in err


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("facts:\n  nosuch_fact: {column: a}\n", encoding="utf-8")
    code, _, err = run("--dialect", "nosuch", "--table", "a b", "--map", str(mapping))
    assert code == 2
    assert "sql.dialect" in err and "sql.table" in err and "mapping.unknown-fact" in err


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("facts:\n  provider_credential: {column: a, codes: {X: nosuch_value}}\n", "mapping.unknown-value", 2),
        ("facts:\n  nosuch_fact: {column: a}\n", "mapping.unknown-fact", 2),
        ("facts:\n  activity: {column: a}\n  activity: {column: b}\n", "yaml.duplicate-key", 3),
        ("facts: [\n", "yaml.syntax", 2),
    ],
)
def test_a_bad_mapping_gives_located_errors_as_the_audit_does(tmp_path: Path, text: str, code: str, line: int) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(text, encoding="utf-8")
    exit_code, out, err = run("--map", str(mapping))
    assert exit_code == 2 and out == ""
    assert re.search(rf"mapping\.yaml:{line}:\d+: error\[{re.escape(code)}\]", err), err
    assert "Traceback" not in err
    export = tmp_path / "export.csv"
    export.write_text("a,b\nx,y\n", encoding="utf-8")
    audited = CliRunner().invoke(
        main, ["audit", str(export), "--map", str(mapping), "--policy", str(CLINIC / "policy")]
    )
    assert audited.exit_code == exit_code
    assert re.search(rf"mapping\.yaml:{line}:\d+: error\[{re.escape(code)}\]", audited.stderr)


def test_a_missing_mapping_file_is_a_located_error(tmp_path: Path) -> None:
    code, out, err = run("--map", str(tmp_path / "nosuch.yaml"))
    assert code == 2 and out == ""
    assert "nosuch.yaml" in err and "Traceback" not in err


def test_output_writes_the_query_to_a_file(clinic: Policy, tmp_path: Path) -> None:
    target = tmp_path / "policy.sql"
    code, out, err = run("--dialect", "spark", "--table", "claims.records", "-o", str(target))
    assert code == 0, err
    assert out == ""
    assert target.read_text(encoding="utf-8") == policy_sql(clinic, "claims.records", "spark") + "\n"


def test_the_query_is_never_written_over_the_mapping_or_a_policy_file(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_bytes((EXAMPLE / "mapping.yaml").read_bytes())
    before = mapping.read_bytes()
    code, out, err = run("--map", str(mapping), "-o", str(tmp_path / "." / "mapping.yaml"), policy=CHECKOUT / "policy")
    assert code == 2 and out == ""
    assert "error[file.same]: this would overwrite the mapping" in err
    assert mapping.read_bytes() == before
    policy = tmp_path / "policy"
    shutil.copytree(CLINIC / "policy", policy)
    facts = policy / "facts.yaml"
    kept = facts.read_bytes()
    code, out, err = run("-o", str(facts), policy=policy)
    assert code == 2 and "this would overwrite the policy file" in err
    assert facts.read_bytes() == kept
    code, out, err = run("-o", str(tmp_path / "nodir" / "policy.sql"))
    assert code == 2 and "error[file.unwritable]: the folder to write into does not exist" in err
    assert not (tmp_path / "nodir").exists()


def test_the_printed_mapped_query_runs_on_the_export(shipped: Policy, tmp_path: Path) -> None:
    code, out, err = run("--map", str(EXAMPLE / "mapping.yaml"), "--table", "ehr_export", policy=CHECKOUT / "policy")
    assert code == 0, err
    mapping = load_mapping(EXAMPLE / "mapping.yaml", shipped, None)
    assert out == policy_sql(shipped, "ehr_export", "duckdb", mapping=mapping) + "\n"
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA claims")
    connection.execute(
        "CREATE TABLE ehr_export AS SELECT * FROM read_csv(?, all_varchar = true)", [str(EXAMPLE / "ehr-export.csv")]
    )
    rows = connection.execute(out).fetchall()
    assert len(rows) == 208
