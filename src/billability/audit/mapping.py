"""Say which column of an export holds which fact, and what the export's codes mean.

In: a mapping file (YAML, checked against `schema/mapping.schema.json`), the policy
and the export's columns; or, without a file, the columns named like the facts.
Out: a `Mapping` (`load_mapping`, `default_mapping`), which raises `Problems` with every
mistake at once (a fact the policy lacks, a value the fact lacks, a column the export
lacks, two codes that differ only by case), each at its `file:line:col`. `binding.py`
reads the records' cells through it.

A blank cell is an unknown fact, as is a code mapped to `~`. Codes and values are
matched ignoring case and the whitespace around them (`key_of`). A fact can be derived
from a service date and a discharge date (`from_dates:`): a true-or-false fact says
whether the service was on or after the discharge, a whole-number fact counts the days
from the discharge to the service; without a discharge date the client was not
discharged (false, and no count). A service date (`service_date:`) picks the version of
the policy that decides each record; `load_mapping` then also says where the mapping
reads a fact that the versions it may meet do not all declare alike (`mapping.version`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from billability.audit.dates import DATE_FORMATS
from billability.audit.export_text import delimiter_hint
from billability.model.diagnostics import Diagnostic, Location, Problems, did_you_mean, hint_for
from billability.model.policy import Fact, FactType, Value
from billability.policy.compiled import Policy
from billability.policy.schema import violations
from billability.policy.source import Located, read_yaml_file

MAPPING_FILE = "mapping.schema.json"
SUMMARY_COLUMNS = ("minutes", "staff", "program")


def key_of(code: str) -> str:
    """How a code or a cell is matched: ignoring case and the whitespace around it."""
    return code.strip().lower()


def text_of(value: Any) -> str:
    """A cell as text, whatever type the export gave it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True, slots=True)
class FromDates:
    """A fact derived from two date columns written in one format (`dates.DATE_FORMATS`)."""

    service: str
    discharge: str
    format: str


@dataclass(frozen=True, slots=True)
class FactColumn:
    """One fact and the column that holds it; `codes` maps the export's codes to values
    (None: the cells hold the values themselves); `dates`, when set, derives the fact
    from two date columns instead (`column` is then the service date's)."""

    fact: str
    column: str
    codes: tuple[tuple[str, Value | None], ...] | None = None
    dates: FromDates | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.dates.service, self.dates.discharge) if self.dates is not None else (self.column,)


@dataclass(frozen=True, slots=True)
class Scope:
    """The records the audit decides: those whose cell in `column` is one of `codes`."""

    column: str
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ServiceDate:
    """The column of each record's service date, written in one format (`dates.DATE_FORMATS`):
    it picks the version of the policy in force on that day."""

    column: str
    format: str


@dataclass(frozen=True, slots=True)
class Mapping:
    facts: tuple[FactColumn, ...]
    minutes: str | None = None
    staff: str | None = None
    program: str | None = None
    file: str = ""
    scope: Scope | None = None
    service_date: ServiceDate | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the mapping reads."""
        named = [self.scope.column] if self.scope is not None else []
        named += [c for f in self.facts for c in f.columns]
        named += [self.service_date.column] if self.service_date is not None else []
        named += [c for c in (self.minutes, self.staff, self.program) if c]
        return tuple(dict.fromkeys(named))


# --- reading and checking a mapping file ---------------------------------------------


def default_mapping(policy: Policy, columns: Sequence[str]) -> Mapping:
    """Without a mapping file: each column named like a fact holds that fact's values."""
    present = set(columns)
    return Mapping(tuple(FactColumn(fact.name, fact.name) for fact in policy.facts if fact.name in present))


def no_facts(policy: Policy, columns: Sequence[str], shown: str) -> Diagnostic:
    """Why an export without a mapping cannot be audited: no column is named like a fact."""
    return Diagnostic(
        "records.no-facts",
        "no column is named like a fact of the policy",
        Location(shown, 1),
        hint=delimiter_hint(columns)
        or "give `--map` a mapping of the export's columns to facts, or name the columns "
        + ", ".join(f"`{f.name}`" for f in policy.facts),
    )


def load_mapping(path: Path, policy: Policy, columns: Sequence[str] | None, earlier: Sequence[Policy] = ()) -> Mapping:
    """Read a mapping file and check it against the policy and the export's columns
    (None: the export could not be read, so columns are not checked). With a service
    date, it is also checked against the `earlier` versions of the policy a record may
    be decided by: each fact it reads must be declared alike in all of them."""
    located = read_yaml_file(path)
    found = violations(located, MAPPING_FILE)
    problems = [v.diagnostic for v in found]
    flawed = {v.path for v in found}
    mapping, semantic = _mapping(located, policy, columns, flawed)
    problems += semantic
    if mapping.service_date is not None:
        problems += _versions_problems(located, mapping, policy, earlier)
    if problems:
        raise Problems(problems)
    return mapping


def _versions_problems(
    located: Located, mapping: Mapping, current: Policy, earlier: Sequence[Policy]
) -> list[Diagnostic]:
    """Where a fact the mapping reads is declared otherwise (or not at all) by an earlier
    version than by the current one: a record of that version's days could not be read
    as that version reads it."""
    problems: list[Diagnostic] = []
    for column in mapping.facts:
        own = current.fact_index[column.fact]
        for version in earlier:
            other = version.fact_index.get(column.fact)
            if other is not None and _declared(other) == _declared(own):
                continue
            said = "does not declare it" if other is None else "declares it otherwise"
            problems.append(
                Diagnostic(
                    "mapping.version",
                    f"`{column.fact}` is read for every service date, but version {version.version} of the "
                    f"policy {said} than the current version {current.version}",
                    located.where_key(("facts", column.fact)),
                    hint="a fact read by the audit must have the same type, values and range in every version "
                    "in force on the export's service dates",
                )
            )
            break
    return problems


def _declared(fact: Fact) -> tuple[Any, ...]:
    """What reading a fact's cells depends on."""
    return (fact.type, fact.value_names, fact.minimum, fact.maximum)


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
                hint=delimiter_hint(columns)
                or did_you_mean(name, columns)
                or "the export's columns: " + ", ".join(f"`{c}`" for c in columns),
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
        if isinstance(entry.get("from_dates"), dict):
            derived = _from_dates(fact, entry, located, column_exists)
            if isinstance(derived, Diagnostic):
                problems.append(derived)
            elif derived is not None:
                fact_columns.append(FactColumn(name, derived.service, dates=derived))
            continue
        column = entry.get("column")
        codes = entry.get("codes")
        known_column = column_exists(column, ("facts", name, "column"))
        checked: list[tuple[str, Value | None]] = []
        if isinstance(codes, dict) and fine("facts", name, "codes"):
            spelled: dict[str, str] = {}
            for code, value in codes.items():
                where = located.where(("facts", name, "codes", code))
                problem = _value_problem(fact, value, where)
                twin = spelled.setdefault(key_of(text_of(code)), text_of(code))
                if twin != text_of(code):
                    problem = Diagnostic(
                        "mapping.duplicate-code",
                        f"`{text_of(code)}` and `{twin}` are one code: codes are matched ignoring case "
                        "and the spaces around them",
                        located.where_key(("facts", name, "codes", code)),
                        hint="keep one of them",
                    )
                if problem is not None:
                    problems.append(problem)
                else:
                    checked.append((text_of(code), value))
        if known_column and isinstance(column, str):
            fact_columns.append(FactColumn(name, column, tuple(checked) if codes is not None else None))
    summary = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    chosen: dict[str, str] = {}
    for role in SUMMARY_COLUMNS:
        column = (summary or {}).get(role)
        if column is not None and column_exists(column, ("summary", role)):
            chosen[role] = column
    scope = None
    given = data.get("scope")
    if isinstance(given, dict) and fine("scope") and column_exists(given.get("column"), ("scope", "column")):
        scope = Scope(given["column"], tuple(text_of(code) for code in given.get("codes") or ()))
    service_date = None
    dated = data.get("service_date")
    if (
        isinstance(dated, dict)
        and fine("service_date")
        and column_exists(dated.get("column"), ("service_date", "column"))
        and dated.get("format") in DATE_FORMATS
    ):
        service_date = ServiceDate(dated["column"], dated["format"])
    mapping = Mapping(tuple(fact_columns), file=located.file, scope=scope, service_date=service_date, **chosen)
    return mapping, problems


def _from_dates(
    fact: Fact, entry: dict[str, Any], located: Located, column_exists: Any
) -> FromDates | Diagnostic | None:
    """The dates a fact entry derives its fact from, a mistake, or None when a column
    is unknown (reported by `column_exists`)."""
    path = ("facts", fact.name)
    if fact.type is FactType.ENUM:
        return Diagnostic(
            "mapping.from-dates",
            f"`{fact.name}` has named values, so it cannot be derived from dates",
            located.where_key((*path, "from_dates")),
            hint="only a true-or-false fact (after the discharge?) or a whole-number fact "
            "(days since the discharge) is derived from dates",
        )
    if "column" in entry or "codes" in entry:
        extra = "column" if "column" in entry else "codes"
        return Diagnostic(
            "mapping.from-dates",
            f"`{fact.name}` is derived from dates, so it has no `{extra}`",
            located.where_key((*path, extra)),
            hint="remove `column` and `codes`, or remove `from_dates`",
        )
    dates = entry["from_dates"]
    service = column_exists(dates.get("service"), (*path, "from_dates", "service"))
    discharge = column_exists(dates.get("discharge"), (*path, "from_dates", "discharge"))
    if not (service and discharge):
        return None
    if entry.get("format") not in DATE_FORMATS:
        return None  # the schema says what is wrong with it
    return FromDates(dates["service"], dates["discharge"], entry["format"])


def _value_problem(fact: Fact, value: Any, where: Location) -> Diagnostic | None:
    """What is wrong with a code's value for this fact, or None when it is one of its values."""
    if value is None:
        return None
    if fact.type is FactType.ENUM:
        if isinstance(value, str) and value in fact.value_names:
            return None
        return Diagnostic(
            "mapping.unknown-value",
            f"`{text_of(value)}` is not a value of `{fact.name}`",
            where,
            hint=hint_for(text_of(value), fact.value_names),
        )
    if fact.type is FactType.BOOLEAN:
        if isinstance(value, bool):
            return None
        return Diagnostic(
            "mapping.type", f"`{fact.name}` is true or false, not `{text_of(value)}`", where, "write `true` or `false`"
        )
    if isinstance(value, bool) or not isinstance(value, int):
        return Diagnostic(
            "mapping.type",
            f"`{fact.name}` is a whole number, not `{text_of(value)}`",
            where,
            "write a number such as `12`",
        )
    if (fact.minimum is not None and value < fact.minimum) or (fact.maximum is not None and value > fact.maximum):
        return Diagnostic("mapping.out-of-range", f"`{value}` is outside the range of `{fact.name}`", where)
    return None
