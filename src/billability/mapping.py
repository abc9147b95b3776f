"""Say which column of an export holds which fact, and what the export's codes mean.

In: a mapping file (YAML, checked against `schema/mapping.schema.json`), the policy
and the export's columns; or, without a file, the columns named like the facts.
Out: a `Mapping` (`load_mapping`, `default_mapping`), which raises `Problems` with every
mistake at once (a fact the policy lacks, a value the fact lacks, a column the export
lacks), each at its `file:line:col`; and `Binding.facts`, which turns the cells of one
record into the facts of a scenario and the problems of the cells it cannot read
(`RowProblem`: severity, code, column, value, message, hint).

A blank cell is an unknown fact, as is a code mapped to `~`. A cell that cannot be read
gives no fact: the audit decides whether the row's answer depends on it (an `error`,
the row is invalid) or not (a `warning`, the row is decided as if the cell were blank).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from billability.diagnostics import Diagnostic, Location, Problems, did_you_mean, hint_for
from billability.model import Fact, FactType, Policy, Value
from billability.schema import violations
from billability.source import Located, read_yaml_file

MAPPING_FILE = "mapping.schema.json"
SUMMARY_COLUMNS = ("minutes", "staff", "program")

_WHOLE_NUMBER = re.compile(r"[-+]?[0-9]+\Z")
ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class FactColumn:
    """One fact and the column that holds it; `codes` maps the export's codes to values
    (None: the cells hold the values themselves)."""

    fact: str
    column: str
    codes: tuple[tuple[str, Value | None], ...] | None = None


@dataclass(frozen=True, slots=True)
class Mapping:
    facts: tuple[FactColumn, ...]
    minutes: str | None = None
    staff: str | None = None
    program: str | None = None
    file: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the mapping reads."""
        named = [f.column for f in self.facts] + [c for c in (self.minutes, self.staff, self.program) if c]
        return tuple(dict.fromkeys(named))


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one cell of a record cannot be read as a fact. `severity` is `error` when the
    row's answer depends on the fact (the row is invalid), `warning` when it does not (the
    row is decided as if the cell were blank); `fact` is the fact the cell would give."""

    code: str
    column: str
    value: str
    message: str
    hint: str | None = None
    severity: str = ERROR
    fact: str = ""

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.severity}[{self.code}]: column `{self.column}`: {self.message}{hint}"


# --- reading and checking a mapping file ---------------------------------------------


def default_mapping(policy: Policy, columns: Sequence[str]) -> Mapping:
    """Without a mapping file: each column named like a fact holds that fact's values."""
    present = set(columns)
    return Mapping(tuple(FactColumn(fact.name, fact.name) for fact in policy.facts if fact.name in present))


def load_mapping(path: Path, policy: Policy, columns: Sequence[str] | None) -> Mapping:
    """Read a mapping file and check it against the policy and the export's columns
    (None: the export could not be read, so columns are not checked)."""
    located = read_yaml_file(path)
    found = violations(located, MAPPING_FILE)
    problems = [v.diagnostic for v in found]
    flawed = {v.path for v in found}
    mapping, semantic = _mapping(located, policy, columns, flawed)
    problems += semantic
    if problems:
        raise Problems(problems)
    return mapping


def _mapping(
    located: Located, policy: Policy, columns: Sequence[str] | None, flawed: set[tuple[Any, ...]]
) -> tuple[Mapping, list[Diagnostic]]:
    data = located.data if isinstance(located.data, dict) else {}
    problems: list[Diagnostic] = []

    def fine(*path: Any) -> bool:
        return not any(tuple(path[: len(flaw)]) == flaw for flaw in flawed)

    def column_exists(name: Any, path: tuple[Any, ...]) -> bool:
        if not isinstance(name, str) or not fine(*path):
            return False
        if columns is None or name in columns:
            return True
        problems.append(
            Diagnostic(
                "mapping.unknown-column",
                f"the export has no column `{name}`",
                located.where(path),
                hint=did_you_mean(name, columns) or "the export's columns: " + ", ".join(f"`{c}`" for c in columns),
            )
        )
        return False

    wanted = data.get("policy")
    if isinstance(wanted, str) and wanted != policy.id:
        problems.append(
            Diagnostic(
                "mapping.policy",
                f"the mapping is written for the policy `{wanted}`, not `{policy.id}`",
                located.where(("policy",)),
                hint="give `--policy` the policy the mapping is for, or change `policy:`",
            )
        )
    declared = policy.fact_index
    fact_columns: list[FactColumn] = []
    entries = data.get("facts") if isinstance(data.get("facts"), dict) else {}
    for name, entry in (entries or {}).items():
        fact = declared.get(name)
        if fact is None:
            problems.append(
                Diagnostic(
                    "mapping.unknown-fact",
                    f"`{name}` is not a fact of the policy `{policy.id}`",
                    located.where_key(("facts", name)),
                    hint=hint_for(name, declared),
                )
            )
            continue
        if not isinstance(entry, dict) or not fine("facts", name):
            continue
        column = entry.get("column")
        codes = entry.get("codes")
        known_column = column_exists(column, ("facts", name, "column"))
        checked: list[tuple[str, Value | None]] = []
        if isinstance(codes, dict) and fine("facts", name, "codes"):
            for code, value in codes.items():
                problem = _value_problem(fact, value, located.where(("facts", name, "codes", code)))
                if problem is not None:
                    problems.append(problem)
                else:
                    checked.append((code, value))
        if known_column and isinstance(column, str):
            fact_columns.append(FactColumn(name, column, tuple(checked) if codes is not None else None))
    summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    chosen: dict[str, str] = {}
    for role in SUMMARY_COLUMNS:
        column = (summary or {}).get(role)
        if column is not None and column_exists(column, ("summary", role)):
            chosen[role] = column
    return Mapping(tuple(fact_columns), file=located.file, **chosen), problems


def _value_problem(fact: Fact, value: Any, where: Location) -> Diagnostic | None:
    """What is wrong with a code's value for this fact, or None when it is one of its values."""
    if value is None:
        return None
    if fact.type is FactType.ENUM:
        if isinstance(value, str) and value in fact.value_names:
            return None
        return Diagnostic(
            "mapping.unknown-value",
            f"`{_text(value)}` is not a value of `{fact.name}`",
            where,
            hint=hint_for(_text(value), fact.value_names),
        )
    if fact.type is FactType.BOOLEAN:
        if isinstance(value, bool):
            return None
        return Diagnostic(
            "mapping.type", f"`{fact.name}` is true or false, not `{_text(value)}`", where, "write `true` or `false`"
        )
    if isinstance(value, bool) or not isinstance(value, int):
        return Diagnostic(
            "mapping.type",
            f"`{fact.name}` is a whole number, not `{_text(value)}`",
            where,
            "write a number such as `12`",
        )
    if (fact.minimum is not None and value < fact.minimum) or (fact.maximum is not None and value > fact.maximum):
        return Diagnostic("mapping.out-of-range", f"`{value}` is outside the range of `{fact.name}`", where)
    return None


# --- reading the cells of a record ---------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text, whatever type the export gave it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True, slots=True)
class _Reading:
    fact: Fact
    column: str
    codes: dict[str, Value | None] | None


@dataclass(frozen=True, slots=True)
class Binding:
    """A mapping bound to a policy and an export's columns: where each fact's cells are."""

    mapping: Mapping
    indexes: tuple[int, ...]
    readings: tuple[_Reading, ...]
    summary_indexes: tuple[int | None, int | None, int | None]

    def facts(self, cells: Sequence[Any]) -> tuple[dict[str, Value], tuple[RowProblem, ...]]:
        """The facts the cells of one record give (in mapping order), and the cells that cannot be read."""
        facts: dict[str, Value] = {}
        problems: list[RowProblem] = []
        for reading, cell in zip(self.readings, cells, strict=True):
            if cell is None:
                continue
            text = _text(cell).strip()
            if not text:
                continue
            value, problem = _read(reading, text)
            if problem is not None:
                problems.append(replace(problem, fact=reading.fact.name))
            elif value is not None:
                facts[reading.fact.name] = value
        return facts, tuple(problems)

    def column_of(self, fact: str) -> str:
        for reading in self.readings:
            if reading.fact.name == fact:
                return reading.column
        return ""


def bind(mapping: Mapping, policy: Policy, columns: Sequence[str]) -> Binding:
    """The mapping's columns as positions in the export's rows."""
    position = {name: i for i, name in enumerate(columns)}
    declared = policy.fact_index
    readings = tuple(
        _Reading(declared[f.fact], f.column, dict(f.codes) if f.codes is not None else None) for f in mapping.facts
    )
    summary = tuple(position[c] if c is not None else None for c in (mapping.minutes, mapping.staff, mapping.program))
    return Binding(mapping, tuple(position[f.column] for f in mapping.facts), readings, summary)  # type: ignore[arg-type]


def _read(reading: _Reading, text: str) -> tuple[Value | None, RowProblem | None]:
    fact, column = reading.fact, reading.column
    if reading.codes is not None:
        if text in reading.codes:
            return reading.codes[text], None
        return None, RowProblem(
            "record.unknown-code",
            column,
            text,
            f"`{text}` is not a code the mapping gives for `{fact.name}`",
            did_you_mean(text, reading.codes) or f"add it under `codes:` of `{fact.name}` in the mapping",
        )
    if fact.type is FactType.ENUM:
        if text in fact.value_names:
            return text, None
        return None, RowProblem(
            "record.unknown-value",
            column,
            text,
            f"`{text}` is not a value of `{fact.name}`",
            hint_for(text, fact.value_names),
        )
    if fact.type is FactType.BOOLEAN:
        if text in {"true", "false"}:
            return text == "true", None
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
