"""The SQL reading of mapped cells (`sql_cells.read_sql`) against the mapping's own
reading (`mapping.Binding.facts`), run on DuckDB and SQLite over thousands of messy
generated cells: for each row every fact's class, every problem's text and the facts it
feeds, and whether the row is in scope."""

from __future__ import annotations

import datetime
import logging
import random
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from billability.audit.binding import Binding, RowProblem, bind
from billability.audit.dated_leaves import classes_of_readings
from billability.audit.dates import DATE_FORMATS
from billability.audit.mapping import load_mapping
from billability.audit.sql_cells import read_sql
from billability.audit.unreadable import problem_places
from billability.model.diagnostics import one_of
from billability.model.policy import FactType
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from policy_texts import CHECKOUT, rule, small_policy

ENGINES = ("duckdb", "sqlite")

FACTS = """\
facts:
  activity:
    type: enum
    label: Activity
    question: What was done?
    values:
      talk: {label: Talk}
      drive: {label: Drive}
      write: {label: Write}
    relevant_when: always
  mode:
    type: enum
    label: Mode
    question: How?
    values:
      phone: {label: Phone}
      in_person: {label: In person}
      kiosk: {label: Kiosk}
    relevant_when: always
  reached:
    type: boolean
    label: Reached
    question: Reached?
    relevant_when: always
  documented:
    type: boolean
    label: Documented
    question: Documented?
    relevant_when: always
  minutes:
    type: integer
    minimum: 0
    maximum: 600
    label: Minutes
    question: How long?
    relevant_when: always
  offset:
    type: integer
    minimum: -50
    maximum: 50
    label: Offset
    question: How far off?
    relevant_when: always
  count:
    type: integer
    label: Count
    question: How many?
    relevant_when: always
  after_discharge:
    type: boolean
    label: After discharge
    question: After the discharge?
    relevant_when: always
  days_since_discharge:
    type: integer
    minimum: 0
    maximum: 30
    label: Days since discharge
    question: How many days since the discharge?
    relevant_when: always
  days_abroad:
    type: integer
    minimum: 0
    label: Days, written abroad
    question: How many days, written day first?
    relevant_when: always
  after_iso:
    type: boolean
    label: After, in ISO dates
    question: After the discharge, in ISO dates?
    relevant_when: always
  days_iso:
    type: integer
    minimum: 0
    maximum: 400
    label: Days in ISO dates
    question: How many days, in ISO dates?
    relevant_when: always
"""

RULES = (
    rule("talk-short", "billable", "activity: talk\nminutes: {more_than: 4, at_most: 30}"),
    rule("talk-long", "needs_review", "activity: talk\nminutes: {at_most: 60, more_than: 30}"),
    rule("drive", "not_billable", "activity: drive\nreached: true\noffset: {at_least: -10, less_than: 20}"),
    rule("recent", "needs_review", "days_since_discharge: {at_most: 7}\nafter_discharge: true"),
    rule("iso", "needs_review", "days_iso: {more_than: 100}\nafter_iso: false\ncount: {at_least: 1000000}"),
)

MAPPING = """\
scope:
  column: program
  codes: [Case Management, Ärztlich, kelvin]
facts:
  activity: {column: activity}
  mode:
    column: mode
    codes: {Téléphone: phone, IN PERSON: in_person, Straße: kiosk, İstanbul: kiosk, Kiosk K: kiosk, n/a: ~}
  reached: {column: reached}
  documented: {column: documented, codes: {"Y": true, "N": false, "?": ~}}
  minutes: {column: minutes}
  offset: {column: offset}
  count: {column: count}
  after_discharge:
    from_dates: {service: service, discharge: discharge}
    format: m/d/yyyy
  days_since_discharge:
    from_dates: {service: service, discharge: discharge}
    format: m/d/yyyy
  days_abroad:
    from_dates: {service: service, discharge: discharge}
    format: d/m/yyyy
  after_iso:
    from_dates: {service: service_iso, discharge: discharge_iso}
    format: yyyy-mm-dd
  days_iso:
    from_dates: {service: discharge_iso, discharge: service_iso}
    format: yyyy-mm-dd
"""


def small(folder: Path) -> tuple[Policy, Binding]:
    """The fixture policy, and its mapping (in `folder`) bound to the mapping's columns."""
    policy = small_policy(*RULES, facts=FACTS)
    path = folder / "mapping.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    mapping = load_mapping(path, policy, None)
    return policy, bind(mapping, policy, mapping.columns)


def bundled(folder: Path) -> tuple[Policy, Binding]:
    """The bundled policy, and the example mapping bound to its own columns."""
    policy = load_policy(CHECKOUT / "policy")
    mapping = load_mapping(CHECKOUT / "docs" / "audit" / "mapping.yaml", policy, None)
    return policy, bind(mapping, policy, mapping.columns)


# --- messy cells ---------------------------------------------------------------------------

# Whitespace Python strips, and a zero-width space it does not.
PADDING = ("", "", "", " ", "  ", "\t", "\u00a0", "\u3000", "\n", " \u2003", "\x1c", "\u2028", "\x85", "\u200b")
STRANGE = ("", "~", "-", "+", "null", "N/A", "0", "x", "\u00a0", "\u0661\u0662", "½", "\u212a", "\u0130", "ß", "ẞ")


def _cased(rng: _Cells, text: str) -> str:
    how = rng.randrange(5)
    if how == 0:
        return text.upper()
    if how == 1:
        return text.lower()
    if how == 2:
        return text.swapcase()
    if how == 3:  # the letters some databases lower otherwise than Python
        return text.replace("k", "\u212a").replace("K", "\u212a").replace("i", "\u0130").replace("I", "\u0130")
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)


def _misspelt(rng: _Cells, text: str) -> str:
    if not text:
        return "x"
    at = rng.randrange(len(text))
    return rng.choice((text[:at] + text[at + 1 :], text + rng.choice("xs."), text[:at] + " " + text[at:]))


def _number(rng: _Cells, bounds: list[int]) -> str:
    """A whole number, often at or next to one of `bounds`, or not quite one."""
    near = rng.choice(bounds)
    sign = "-" if near < 0 else rng.choice(("", "", "", "-", "+", "--", "+-"))
    digits = rng.choice(
        (
            str(abs(near)),
            str(abs(near)),
            str(rng.randrange(0, 1000)),
            "9" * rng.randrange(17, 30),
            str(rng.randrange(10**18, 10**19)),
        )
    )
    zeros = "0" * rng.choice((0, 0, 0, 1, 3))
    text = sign + zeros + digits
    return rng.choice(
        (text, text, text, text + ".5", digits + ".0", "1e3", text + " 1", "0x1" + digits, "_".join(text))
    )


def _written(rng: _Cells, format_name: str, date: datetime.date) -> str:
    """A date as the format writes it, with or without a leading zero where one may go."""
    shape = DATE_FORMATS[format_name]
    if shape.order[0] == "y":
        return date.isoformat()
    pad = rng.random() < 0.5
    parts = {
        "y": f"{date.year:04}",
        "m": f"{date.month:{'02' if pad else ''}}",
        "d": f"{date.day:{'02' if pad else ''}}",
    }
    return "/".join(parts[p] for p in shape.order)


def _date(rng: _Cells, format_name: str) -> str:
    """A text near a date of the format: a day the calendar lacks, a part too long or
    short, another separator."""
    shape = DATE_FORMATS[format_name]
    year = rng.choice((2024, 2025, 2026, 2000, 1900, 2100, 1, 9999, 0, rng.randrange(1, 10000)))
    month = rng.choice((1, 2, 2, 2, 12, 13, 0, rng.randrange(1, 13)))
    day = rng.choice((1, 28, 29, 29, 30, 31, 0, 32, rng.randrange(1, 32)))
    digits = {"y": f"{year:04}", "m": f"{month:02}", "d": f"{day:02}"}
    separator = "-" if shape.order[0] == "y" else "/"
    if separator == "/" and rng.random() < 0.5:
        digits = {"y": f"{year:04}", "m": str(month), "d": str(day)}
    if rng.random() < 0.2:
        digits[rng.choice("ymd")] = rng.choice(("123", "1", "12345", "1a", "", " 1", "\u0661", "+1", "-1"))
    if rng.random() < 0.2:
        separator = rng.choice(("-", "/", ".", " ", "//"))
    text = separator.join(digits[p] for p in shape.order)
    if rng.random() < 0.1:
        text = rng.choice((text + "/", "/" + text, text[1:], text[:-1], text.replace(separator, "", 1)))
    return text


# Days around which dates are near each other: leap days, the ends of years and of the calendar.
AROUND = tuple(
    datetime.date(*d)
    for d in ((2024, 2, 29), (2000, 2, 29), (1900, 2, 28), (2100, 3, 1), (2025, 12, 31), (1, 1, 15), (9999, 12, 20))
)


# Days between dates, beside those around the bounds of the facts derived from dates.
GAPS = (0, 1, 400, 1000)


def gaps(binding: Binding, policy: Policy) -> list[int]:
    """Days from a discharge to a service: `GAPS`, and each bound of a class or of the
    range of a fact derived from dates, a day either side too."""
    ends = {*GAPS}
    for reading, found in zip(binding.readings, classes_of_readings(binding, policy), strict=True):
        if reading.dates is not None and reading.fact.type is FactType.INTEGER:
            ends.update(end for r in found.ranges for end in r if end is not None)
            ends.update(bound for bound in (reading.fact.minimum, reading.fact.maximum) if bound is not None)
    return sorted({max(end + step, 0) for end in ends for step in (-1, 0, 1)})


def _dated(rng: _Cells, format_name: str, days: int) -> str:
    """A date of the format `days` after the row's day (often, some days more), or not
    quite a date."""
    if rng.random() < 0.3:
        return _date(rng, format_name)
    if rng.random() < 0.3:
        days += rng.randrange(-500, 501)
    try:
        date = rng.near + datetime.timedelta(days=days)
    except OverflowError:
        date = rng.near
    return _written(rng, format_name, date)


def messy(rng: _Cells, writes: Callable[[_Cells], str]) -> str | None:
    """A cell as exports write them: blank, padded, in any case, or not what was asked."""
    roll = rng.random()
    if roll < 0.05:
        return None
    if roll < 0.1:
        return rng.choice(STRANGE)
    text = writes(rng)
    if roll < 0.2:
        text = _misspelt(rng, text)
    return rng.choice(PADDING) + text + rng.choice(PADDING)


def writers(binding: Binding, policy: Policy) -> dict[str, Callable[[_Cells], str]]:
    """How each column of the binding's key is written."""
    ranges = {found.name: found.ranges for found in classes_of_readings(binding, policy)}

    found: dict[str, Callable[[_Cells], str]] = {}
    if binding.scope is not None:
        codes = [*binding.mapping.scope.codes, "Group", "Case Mgmt"]  # type: ignore[union-attr]
        found[binding.scope.column] = lambda rng: _cased(rng, rng.choice(codes))
    for reading in binding.readings:
        if reading.dates is not None:
            service, discharge = reading.columns
            found.setdefault(service, lambda rng, f=reading.dates.format: _dated(rng, f, rng.gap))
            found.setdefault(discharge, lambda rng, f=reading.dates.format: _dated(rng, f, 0))
            continue
        spelled = list(reading.spellings.values())
        if reading.codes is None and reading.fact.type is FactType.BOOLEAN:
            spelled = ["true", "false", "yes", "1"]
        if reading.codes is None and reading.fact.type is FactType.INTEGER:
            ends = [end for r in ranges[reading.fact.name] for end in r if end is not None]
            bounds = sorted({end + step for end in [0, *ends] for step in (-1, 0, 1)})
            found[reading.column] = lambda rng, b=bounds: _number(rng, b)
        else:
            found[reading.column] = lambda rng, s=spelled: _cased(rng, rng.choice(s))
    return found


def rows(binding: Binding, policy: Policy, count: int, seed: int) -> list[tuple[str | None, ...]]:
    """`count` rows of messy cells, one per column of the binding's key."""
    rng = _Cells(seed)
    written = writers(binding, policy)
    columns = key_columns(binding)
    apart = gaps(binding, policy)
    table = []
    for _ in range(count):
        rng.near = rng.choice(AROUND) + datetime.timedelta(days=rng.randrange(-3, 4))
        rng.gap = rng.choice(apart) * rng.choice((1, -1))
        table.append(tuple(messy(rng, written[column]) for column in columns))
    return table


class _Cells(random.Random):
    """Random choices, and the day the dates of the row being written are near."""

    near = datetime.date(2026, 1, 1)
    gap = 0  # the days from a discharge date to a service date of the row, mostly


def key_columns(binding: Binding) -> list[str]:
    named = [binding.scope.column] if binding.scope is not None else []
    named += [c for f in binding.mapping.facts for c in f.columns]
    return list(dict.fromkeys(named))


# --- running the SQL -----------------------------------------------------------------------


def query(engine: str, binding: Binding, policy: Policy, computed: bool) -> exp.Select:
    """Each row's classes, problems and whether it is in scope, read from the table
    `cells` (ordered by `id`), with what is read more than once computed beneath or not."""
    column = lambda name: exp.column(name, table="r", quoted=True)  # noqa: E731
    read = read_sql(binding, policy, column, engine, computed=column if computed else None)
    outputs = [*read.classes, *(problem for problem, _ in read.problems)]
    if read.in_scope is not None:
        outputs.append(read.in_scope)
    source: exp.Expr = exp.table_("cells").as_("r")
    if computed:
        beneath = exp.select(exp.Star(), *(sql.as_(name, quoted=True) for name, sql in read.columns))
        source = beneath.from_(exp.table_("cells").as_("r")).subquery("r")
    else:
        assert read.columns == ()
    return exp.select(*(e.as_(f"o{n}") for n, e in enumerate(outputs))).from_(source).order_by(column("id"))


def run(engine: str, sql: str, columns: list[str], table: list[tuple[str | None, ...]]) -> list[tuple[Any, ...]]:
    """The rows of a query over the table `cells` of text columns, on DuckDB or SQLite."""
    declared = ", ".join(f'"{c}" TEXT' for c in columns)
    holes = ", ".join("?" for _ in range(len(columns) + 1))
    connection: Any = duckdb.connect() if engine == "duckdb" else sqlite3.connect(":memory:")
    connection.execute(f"CREATE TABLE cells (id INTEGER, {declared})")
    connection.executemany(f"INSERT INTO cells VALUES ({holes})", [(n, *row) for n, row in enumerate(table)])
    found = connection.execute(sql).fetchall()
    connection.close()
    return list(found)


def hinted(problem: RowProblem, binding: Binding) -> RowProblem:
    """The problem with the hint SQL gives where the audit's is `did you mean`."""
    if not (problem.hint or "").startswith("did you mean"):
        return problem
    fact = next(r.fact for r in binding.readings if r.fact.name == problem.facts[0])
    if problem.code == "record.unknown-code":
        return replace(problem, hint=f"add it under `codes:` of `{fact.name}` in the mapping")
    return replace(problem, hint=one_of(fact.value_names))


def expected(binding: Binding, policy: Policy, row: tuple[str | None, ...]) -> tuple[list[Any], list[Any], bool]:
    """What `Binding.facts` and `Binding.in_scope` make of a row: each fact's class, and
    each problem as (its text after the severity, its facts)."""
    facts, problems = binding.facts(row)
    classes = [
        found.class_of(facts[r.fact.name]) if r.fact.name in facts else len(found.values)
        for r, found in zip(binding.readings, classes_of_readings(binding, policy), strict=True)
    ]
    said = [(str(p)[len(p.severity) :], p.facts) for p in (hinted(p, binding) for p in problems)]
    return classes, said, binding.in_scope(row)


def disagreements(
    binding: Binding, policy: Policy, table: list[tuple[str | None, ...]], results: list[tuple[Any, ...]]
) -> Iterator[str]:
    """The rows where what SQL found differs from what the mapping reads."""
    facts_of = [facts for _, facts in read_sql(binding, policy, exp.column, "duckdb").problems]
    width = len(binding.readings)
    for row, found in zip(table, results, strict=True):
        classes, said, in_scope = expected(binding, policy, row)
        got_classes = list(found[:width])
        got_problems = [
            (text, facts_of[n]) for n, text in enumerate(found[width : width + len(facts_of)]) if text is not None
        ]
        got_scope = bool(found[-1]) if binding.scope is not None else True
        if (got_classes, got_problems, got_scope) != (classes, said, in_scope):
            yield f"{row!r}:\n  sql {got_classes} {got_problems} {got_scope}\n  py  {classes} {said} {in_scope}"


@pytest.mark.parametrize("computed", [False, True], ids=["inline", "computed"])
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("policy_of", [small, bundled], ids=["fixture", "bundled"])
def test_sql_reads_every_messy_cell_as_the_mapping_does(
    engine: str, policy_of: Callable[[Path], Any], computed: bool, tmp_path: Path
) -> None:
    policy, binding = policy_of(tmp_path)
    table = rows(binding, policy, 3000, seed=2026)
    sql = query(engine, binding, policy, computed).sql(engine)
    wrong = list(disagreements(binding, policy, table, run(engine, sql, key_columns(binding), table)))
    assert not wrong, f"{len(wrong)} of {len(table)} rows differ, such as\n" + "\n".join(wrong[:5])


def problems_possible(binding: Binding) -> set[tuple[str, str, tuple[str, ...]]]:
    """Every (code, column, facts) a row's problem can have (`problem_places`)."""
    possible = set()
    for n, kind, facts in problem_places(binding):
        reading = binding.readings[n]
        if reading.dates is not None:
            if kind < 2:
                possible.add(("record.date", reading.columns[kind], facts))
            elif reading.fact.type is FactType.INTEGER and reading.fact.maximum is not None:
                possible.add(("record.out-of-range", reading.column, facts))
        elif reading.codes is not None:
            possible.add(("record.unknown-code", reading.column, facts))
        elif reading.fact.type is FactType.ENUM:
            possible.add(("record.unknown-value", reading.column, facts))
        else:
            possible.add(("record.type", reading.column, facts))
            if reading.fact.minimum is not None or reading.fact.maximum is not None:
                possible.add(("record.out-of-range", reading.column, facts))
    return possible


@pytest.mark.parametrize("policy_of", [small, bundled], ids=["fixture", "bundled"])
def test_the_messy_cells_reach_every_class_and_every_problem(policy_of: Callable[[Path], Any], tmp_path: Path) -> None:
    policy, binding = policy_of(tmp_path)
    # Every class a cell can give: of a fact read through codes, those of the values its
    # codes name (a value no code names is no cell's), and unknown.
    every_class = set()
    for r, found in zip(binding.readings, classes_of_readings(binding, policy), strict=True):
        named = range(len(found.values))
        if r.codes is not None:
            named = sorted({found.class_of(value) for value in r.codes.values() if value is not None})
        every_class.update((r.fact.name, n) for n in [*named, len(found.values)])
    reached: set[tuple[str, int]] = set()
    problems: set[tuple[str, str, tuple[str, ...]]] = set()
    for row in rows(binding, policy, 3000, seed=2026):
        classes, _, _ = expected(binding, policy, row)
        reached.update((r.fact.name, n) for r, n in zip(binding.readings, classes, strict=True))
        problems.update((p.code, p.column, p.facts) for p in binding.facts(row)[1])
    assert every_class - reached == set()
    assert problems_possible(binding) - problems == set()


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark", "sqlite"])
def test_each_dialect_is_written_whole(dialect: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    policy, binding = small(tmp_path)
    with caplog.at_level(logging.WARNING, logger="sqlglot"):
        written = [
            query(dialect, binding, policy, computed).sql(dialect, unsupported_level=ErrorLevel.RAISE)
            for computed in (False, True)
        ]
    assert not caplog.records
    # The shorter form holds every construct the longer one does.
    assert sqlglot.parse_one(written[1], read=dialect).sql(dialect) == written[1]
