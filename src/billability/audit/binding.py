"""Read the cells of a record as the facts of a scenario, through a mapping.

In: a `Mapping` (`mapping`), the policy and the export's columns (`bind`), then the
cells of one record's key.
Out: a `Binding`, whose `facts` turns the cells of one record into the facts of a
scenario and the problems of the cells it cannot read (`RowProblem`: severity, code,
column, value, message, hint, and the facts the cell feeds), and whose `in_scope` says
whether the record is audited at all; with a service date, `version_of` says which
version of the policy decides the record, or why none can (a located `RowProblem`).

A blank cell is an unknown fact, as is a code mapped to `~`; a fact derived from dates
(`from_dates:`) is false, and has no count, without a discharge date. A cell that
cannot be read gives no fact: the audit decides whether the row's answer depends on it
(an `error`, the row is invalid) or not (a `warning`, the row is decided as if the cell
were blank).
"""

from __future__ import annotations

import datetime
import difflib
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from billability.audit.dates import DATE_FORMATS, UNREADABLE, read_date
from billability.audit.mapping import FromDates, Mapping, key_of, text_of
from billability.audit.outcomes import ERROR
from billability.model.diagnostics import hint_for
from billability.model.policy import Fact, FactType, Value
from billability.policy.compiled import Policy

_WHOLE_NUMBER = re.compile(r"[-+]?[0-9]+\Z")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one cell of a record cannot be read as a fact. `severity` is `error` when the
    row's answer depends on the fact (the row is invalid), `warning` when it does not (the
    row is decided as if the cell were blank); `facts` are the facts the cell would give
    (two, say, for a date that two facts are derived from)."""

    code: str
    column: str
    value: str
    message: str
    hint: str | None = None
    severity: str = ERROR
    facts: tuple[str, ...] = ()

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.severity}[{self.code}]: column `{self.column}`: {self.message}{hint}"


# --- reading the cells of a record ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """How one fact is read: from the cells at `places` of a record's key (one column,
    or a service and a discharge date), through `codes` (matching text -> value) when
    the mapping gives codes."""

    fact: Fact
    columns: tuple[str, ...]
    places: tuple[int, ...]
    codes: dict[str, Value | None] | None
    spellings: dict[str, str]  # matching text -> the code as the mapping spells it (or the value's name)
    dates: FromDates | None = None

    @property
    def column(self) -> str:
        return self.columns[0]


@dataclass(frozen=True, slots=True)
class ScopeReading:
    column: str
    place: int
    codes: frozenset[str]


@dataclass(frozen=True, slots=True)
class DatedVersions:
    """The versions of the policy a record's service date picks from: the date's column,
    its place in a record's key and its format, and each version's number and first day,
    oldest first."""

    column: str
    place: int
    format: str
    versions: tuple[str, ...]
    switches: tuple[datetime.date, ...]

    def version_of(self, cell: Any) -> int | RowProblem:
        """The position of the version in force on the cell's date, or the problem that
        keeps a version from deciding: a blank date, no date, a date before the first."""
        date_format = self.format
        day = read_date(cell, date_format)
        text = "" if cell is None else text_of(cell).strip()
        if day is None:
            return RowProblem(
                "record.no-service-date",
                self.column,
                text,
                "the service date is blank",
                "the version of the policy in force on the service date decides a record: fill in its date",
            )
        if day is UNREADABLE:
            return RowProblem(
                "record.date",
                self.column,
                text,
                f"`{text}` is not a date written {date_format}",
                f"write dates as {date_format}, such as `{DATE_FORMATS[date_format].example}`, "
                f"or change the `format:` of `service_date` in the mapping",
            )
        assert isinstance(day, datetime.date)
        at = bisect_right(self.switches, day) - 1
        if at < 0:
            return RowProblem(
                "version.before-first",
                self.column,
                text,
                f"`{text}` is before the first version of the policy ({self.versions[0]}, in effect "
                f"from {self.switches[0].isoformat()})",
                "no version of the policy was in force then, so nothing can decide it",
            )
        return at


@dataclass(frozen=True, slots=True)
class Binding:
    """A mapping bound to a policy and an export's columns: where the cells a record's
    facts and scope are read from are (`indexes`, each column once: a record's key);
    with a service date, which version of the policy decides a record (`dated`)."""

    mapping: Mapping
    indexes: tuple[int, ...]
    readings: tuple[Reading, ...]
    summary_indexes: tuple[int | None, int | None, int | None]
    scope: ScopeReading | None = None
    dated: DatedVersions | None = None

    def version_of(self, cells: Sequence[Any]) -> int | RowProblem:
        """The position among the versions of the one that decides a record (its key's
        cells): 0 without a service date; or why none can."""
        if self.dated is None:
            return 0
        return self.dated.version_of(cells[self.dated.place])

    def in_scope(self, cells: Sequence[Any]) -> bool:
        """Whether a record (its key's cells) is audited: always, without a scope."""
        if self.scope is None:
            return True
        cell = cells[self.scope.place]
        return cell is not None and key_of(text_of(cell)) in self.scope.codes

    def facts(self, cells: Sequence[Any]) -> tuple[dict[str, Value], tuple[RowProblem, ...]]:
        """The facts the cells of one record's key give (in mapping order), and the cells
        that cannot be read (each once, also when it feeds two facts: then the problem
        names both)."""
        facts: dict[str, Value] = {}
        problems: dict[RowProblem, tuple[str, ...]] = {}
        for reading in self.readings:
            if reading.dates is not None:
                value, found = _derive(reading, cells[reading.places[0]], cells[reading.places[1]])
                for date_problem in found:
                    problems[date_problem] = (*problems.get(date_problem, ()), reading.fact.name)
                if value is not None:
                    facts[reading.fact.name] = value
                continue
            cell = cells[reading.places[0]]
            if cell is None:
                continue
            text = text_of(cell).strip()
            if not text:
                continue
            value, cell_problem = _read(reading, text)
            if cell_problem is not None:
                problems[cell_problem] = (*problems.get(cell_problem, ()), reading.fact.name)
            elif value is not None:
                facts[reading.fact.name] = value
        return facts, tuple(replace(problem, facts=named) for problem, named in problems.items())

    def column_of(self, fact: str) -> str:
        for reading in self.readings:
            if reading.fact.name == fact:
                return reading.column
        return ""


def bind(mapping: Mapping, policy: Policy, columns: Sequence[str], versions: Sequence[Policy] = ()) -> Binding:
    """The mapping's columns as positions in the export's rows; with a service date, the
    `versions` it picks from (oldest first; by default the policy alone)."""
    position = {name: i for i, name in enumerate(columns)}
    read = [mapping.scope.column] if mapping.scope is not None else []
    read += [c for f in mapping.facts for c in f.columns]
    read += [mapping.service_date.column] if mapping.service_date is not None else []
    key = tuple(dict.fromkeys(read))
    place = {name: n for n, name in enumerate(key)}
    declared = policy.fact_index
    readings = []
    for f in mapping.facts:
        codes = {key_of(code): value for code, value in f.codes} if f.codes is not None else None
        if f.codes is not None:
            spellings = {key_of(code): code for code, _ in f.codes}
        else:
            spellings = {key_of(name): name for name in declared[f.fact].value_names}
        places = tuple(place[c] for c in f.columns)
        readings.append(Reading(declared[f.fact], f.columns, places, codes, spellings, f.dates))
    scope = None
    if mapping.scope is not None:
        matching = frozenset(key_of(code) for code in mapping.scope.codes)
        scope = ScopeReading(mapping.scope.column, place[mapping.scope.column], matching)
    summary = tuple(position[c] if c is not None else None for c in (mapping.minutes, mapping.staff, mapping.program))
    indexes = tuple(position[c] for c in key)
    dated = None
    if mapping.service_date is not None:
        chosen = tuple(versions) or (policy,)
        dated = DatedVersions(
            mapping.service_date.column,
            place[mapping.service_date.column],
            mapping.service_date.format,
            tuple(v.version for v in chosen),
            tuple(
                datetime.date.fromisoformat(v.effective_from) if v.effective_from else datetime.date.min for v in chosen
            ),
        )
    return Binding(mapping, indexes, tuple(readings), summary, scope, dated)  # type: ignore[arg-type]


def _derive(reading: Reading, service_cell: Any, discharge_cell: Any) -> tuple[Value | None, list[RowProblem]]:
    """A fact derived from a service date and a discharge date (see the module docstring)."""
    assert reading.dates is not None
    date_format = reading.dates.format
    service, discharge = read_date(service_cell, date_format), read_date(discharge_cell, date_format)
    problems = [
        RowProblem(
            "record.date",
            column,
            text_of(cell).strip(),
            f"`{text_of(cell).strip()}` is not a date written {date_format}",
            f"write dates as {date_format}, such as `{DATE_FORMATS[date_format].example}`, "
            f"or change their `format:` in the mapping",
        )
        for column, cell, found in zip(
            reading.columns, (service_cell, discharge_cell), (service, discharge), strict=True
        )
        if found is UNREADABLE
    ]
    if problems:
        return None, problems
    if not isinstance(discharge, datetime.date):
        return (False if reading.fact.type is FactType.BOOLEAN else None), []
    if not isinstance(service, datetime.date):
        return None, []
    days = (service - discharge).days
    if reading.fact.type is FactType.BOOLEAN:
        return days >= 0, []
    maximum = reading.fact.maximum
    if maximum is not None and days > maximum:
        text = f"{text_of(service_cell).strip()} - {text_of(discharge_cell).strip()}"
        message = f"`{reading.fact.name}` cannot be more than {maximum}, got {days} days from discharge to service"
        return None, [RowProblem("record.out-of-range", reading.columns[0], text, message)]
    return (days if days >= 0 else None), []


def _read(reading: Reading, text: str) -> tuple[Value | None, RowProblem | None]:
    fact, column = reading.fact, reading.column
    key = key_of(text)
    if reading.codes is not None:
        if key in reading.codes:
            return reading.codes[key], None
        close = difflib.get_close_matches(key, list(reading.spellings), n=1, cutoff=0.6)
        return None, RowProblem(
            "record.unknown-code",
            column,
            text,
            f"`{text}` is not a code the mapping gives for `{fact.name}`",
            f"did you mean `{reading.spellings[close[0]]}`?"
            if close
            else f"add it under `codes:` of `{fact.name}` in the mapping",
        )
    if fact.type is FactType.ENUM:
        if key in reading.spellings:
            return reading.spellings[key], None
        return None, RowProblem(
            "record.unknown-value",
            column,
            text,
            f"`{text}` is not a value of `{fact.name}`",
            hint_for(text, fact.value_names),
        )
    if fact.type is FactType.BOOLEAN:
        if key in {"true", "false"}:
            return key == "true", None
        return None, RowProblem(
            "record.type", column, text, f"`{fact.name}` is true or false, not `{text}`", "write `true` or `false`"
        )
    if _WHOLE_NUMBER.match(text):
        number = int(text)
        if fact.minimum is not None and number < fact.minimum:
            limit = f"cannot be less than {fact.minimum}"
        elif fact.maximum is not None and number > fact.maximum:
            limit = f"cannot be more than {fact.maximum}"
        else:
            return number, None
        return None, RowProblem("record.out-of-range", column, text, f"`{fact.name}` {limit}, got {number}")
    return None, RowProblem(
        "record.type", column, text, f"`{fact.name}` is a whole number, not `{text}`", "write a number such as `12`"
    )
