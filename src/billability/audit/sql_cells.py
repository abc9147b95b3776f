"""Read the mapped cells of a record in SQL, as `binding.Binding.facts` reads them.

In: a `Binding` (a mapping bound to the columns of a table), the `Policy`, the SQL of
a column by its name (`Cell`), the dialect the query is written for (`duckdb`,
`postgres`, `spark` or `sqlite`) and maybe the SQL of columns computed beneath
(`computed`).
Out: `read_sql`, a `ReadSql` of sqlglot expressions over one row: for each mapped fact
(binding order) the position of its value's class among the fact's classes
(`dated_leaves.classes_of_readings`), or their count when the fact is unknown (a blank
cell, a code mapped to `~`, a cell that cannot be read); every problem a row can have,
in the order and with the merging `Binding.facts` gives them
(`unreadable.problem_places`), as the text of its `RowProblem` after the severity
(`[record.unknown-code]: column `c`: ...`), NULL where the row has none, with the facts
it feeds; with a scope, whether the row is audited; and with `computed`, the columns
to compute beneath (each cell's text, a coded cell's matching text, each date's day and
whether it is unreadable), which the rest then reads by name instead of repeating them
(half the query, several times faster, and one Spark's code generation can compile).

How: a cell is its text (`CAST(cell AS TEXT)`) trimmed of the whitespace Python's
`str.strip()` strips; NULL or an empty text is blank. Codes and value names are matched
as `mapping.key_of` matches them: an ASCII code on the lowered text (once the two
letters Python lowers otherwise than databases, the Kelvin sign and `İ`, are written
as Python lowers them), any other code letter by letter against every letter Python
lowers to it, so no database's own idea of case decides. A database cannot compute the
audit's "did you mean" (difflib): an unknown code or value gets the hint the audit
gives when nothing is close. Whole numbers are checked with string functions (one sign
at most, then digits that trimming the digits away leaves nothing of) and compared with
the policy's bounds by their digits, by length and then as text, so no text is ever
cast to a number that might not hold it. Dates are read, and their days counted by
integer arithmetic, in `sql_dates`, so every engine counts the days `dates.read_date`
counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from sqlglot import exp

from billability.audit.binding import Binding, Reading
from billability.audit.dated_leaves import classes_of_readings
from billability.audit.dates import DATE_FORMATS
from billability.audit.sql_dates import DateCell, civil_day
from billability.audit.sql_pieces import (
    DIGITS,
    Sql,
    all_of,
    any_of,
    as_sql,
    case,
    in_,
    is_blank,
    joined,
    length_of,
    not_,
    op,
    problem_text,
    replaced,
    substring,
    trim,
)
from billability.audit.unreadable import problem_places
from billability.decide.value_classes import FactClasses
from billability.model.diagnostics import one_of
from billability.model.policy import FactType
from billability.policy.compiled import Policy

Cell = Callable[[str], exp.Expr]
"""The SQL of a column of the table, by its name."""

WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
KELVIN, DOTTED_I = "\u212a", "\u0130"  # the letters Python lowers otherwise than databases


@dataclass(frozen=True, slots=True)
class ReadSql:
    """The SQL reading of one row's mapped cells (see the module docstring).

    `classes`: one per `binding.readings[i]`, the position of the value's class among
    `classes_of_readings(binding, policy)[i]`, or the count of its classes when unknown.
    `problems`: (text or NULL, the facts it feeds) for each place a problem can be found
    (`problem_places`), in their order; a place that can never hold one (a true-or-false
    fact derived from dates is never out of range) is left out.
    `in_scope`: a boolean, whether the row is audited; None without a scope.
    `columns`: with `read_sql`'s `computed`, the columns the others read, by name, each
    over the table's own cells: to be computed in a SELECT beneath.
    `version`: with a service date, the position of the version in force on it (NULL
    when none is), and `undated` the text of the problem that keeps one from deciding
    (a blank date, no date, a day before the first version), NULL when one does."""

    classes: tuple[exp.Expr, ...]
    problems: tuple[tuple[exp.Expr, tuple[str, ...]], ...]
    in_scope: exp.Expr | None
    columns: tuple[tuple[str, exp.Expr], ...] = ()
    version: exp.Expr | None = None
    undated: exp.Expr | None = None


# --- a cell's text, and matching it ------------------------------------------------------


def cell_text(cell: exp.Expr, dialect: str) -> exp.Expr:
    """A cell as text, trimmed as `str.strip()` trims (NULL stays NULL). DuckDB trims a
    set of letters beyond ASCII seven times slower than a regular expression does."""
    if dialect == "sqlite":
        return trim(cell, WHITESPACE)
    text = exp.Cast(this=cell, to=exp.DataType.build("TEXT"))
    if dialect == "duckdb":
        around = f"[{WHITESPACE}]+"
        ends = as_sql(f"^{around}|{around}$")
        return exp.RegexpReplace(this=text, expression=ends, replacement=as_sql(""), modifiers=as_sql("g"))
    return trim(text, WHITESPACE)


@cache
def _lowered_from() -> dict[str, str]:
    """For each letter, every letter Python lowers to it (itself among them)."""
    found: dict[str, str] = {}
    for letter in map(chr, range(0x110000)):
        if len(lowered := letter.lower()) == 1:
            found[lowered] = found.get(lowered, "") + letter
    return found


def matching_text(text: exp.Expr) -> exp.Expr:
    """A trimmed cell's text as an ASCII key (`mapping.key_of`) is matched against."""
    return exp.Lower(this=replaced(replaced(text, KELVIN, "k"), DOTTED_I, DOTTED_I.lower()))


def _lookup(text: exp.Expr, lowered: exp.Expr, table: dict[str, exp.Expr], default: exp.Expr) -> exp.Expr:
    """The entry of `table` (by `mapping.key_of`) a trimmed, non-blank cell matches, or
    `default`: an ASCII key on the lowered text (`matching_text`), another letter by
    letter."""
    ascii_keys = [exp.If(this=as_sql(key), true=as_sql(value)) for key, value in table.items() if key.isascii()]
    found = exp.Case(this=lowered, ifs=ascii_keys, default=as_sql(default)) if ascii_keys else as_sql(default)
    spelled = replaced(text, DOTTED_I, DOTTED_I.lower())
    others = [
        (
            all_of(
                op(exp.EQ, length_of(spelled), len(key)),
                *(in_(substring(spelled, n + 1, 1), *_lowered_from().get(c, c)) for n, c in enumerate(key)),
            ),
            value,
        )
        for key, value in table.items()
        if not key.isascii()
    ]
    return case(others, found) if others else found


# --- whole numbers -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _WholeNumber:
    """A trimmed cell read as a whole number: whether it is one (`[-+]?[0-9]+`), whether
    it starts with a minus, and its digits without sign or leading zeros ('' for zero,
    which no bound compares as negative)."""

    whole: exp.Expr
    negative: exp.Expr
    digits: exp.Expr

    @staticmethod
    def of(text: exp.Expr) -> _WholeNumber:
        unsigned = trim(text, "+-", "LEADING")
        whole = all_of(
            op(exp.GT, length_of(unsigned), 0),
            op(exp.LTE, op(exp.Sub, length_of(text), length_of(unsigned)), 1),
            op(exp.EQ, trim(unsigned, DIGITS), ""),
        )
        digits = trim(text, "+-0", "LEADING")  # the digits, where the text is a whole number
        return _WholeNumber(whole, op(exp.EQ, substring(text, 1, 1), "-"), digits)

    def _beyond(self, bound: int, compare: type[exp.Binary]) -> exp.Expr:
        """Whether the digits compare so (`exp.GT`, `exp.LT`) with |bound|'s: by length,
        then, as long, as text."""
        written = str(abs(bound)) if bound else ""
        same_length = op(exp.EQ, length_of(self.digits), len(written))
        return any_of(
            op(compare, length_of(self.digits), len(written)), all_of(same_length, op(compare, self.digits, written))
        )

    def above(self, bound: int) -> exp.Expr:
        if bound >= 0:
            return all_of(not_(self.negative), self._beyond(bound, exp.GT))
        return any_of(not_(self.negative), self._beyond(bound, exp.LT))

    def below(self, bound: int) -> exp.Expr:
        if bound > 0:
            return any_of(self.negative, self._beyond(bound, exp.LT))
        return all_of(self.negative, self._beyond(bound, exp.GT))

    def written(self) -> exp.Expr:
        """As Python writes `int(text)`."""
        return case([(op(exp.EQ, self.digits, ""), "0"), (self.negative, joined("-", self.digits))], self.digits)


def _number_class(classes: FactClasses, above: Callable[[int], exp.Expr]) -> list[tuple[Sql, Sql]]:
    """The WHENs giving a number's class (`FactClasses.class_of`), but the last."""
    return [(not_(above(high)), n) for n, (_, high) in enumerate(classes.ranges[:-1]) if high is not None]


# --- one cell ------------------------------------------------------------------------------


def _read_cell(reading: Reading, text: exp.Expr, lowered: exp.Expr, classes: FactClasses) -> tuple[exp.Expr, exp.Expr]:
    """The class and the problem of a fact read from one cell, as `binding._read`."""
    fact, column, unknown, blank = reading.fact, reading.column, len(classes.values), is_blank(text)
    name, table = f"`{fact.name}`", reading.codes
    if table is not None:
        hint = f"add it under `codes:` of {name} in the mapping"
        code, message = "record.unknown-code", ("`", text, f"` is not a code the mapping gives for {name} ({hint})")
    elif fact.type is FactType.ENUM:
        table = dict(reading.spellings)
        code, message = "record.unknown-value", ("`", text, f"` is not a value of {name} ({one_of(fact.value_names)})")
    elif fact.type is FactType.BOOLEAN:
        table = {"true": True, "false": False}
        code, message = "record.type", (f"{name} is true or false, not `", text, "` (write `true` or `false`)")
    if table is not None:
        known = {key: as_sql(unknown if value is None else classes.class_of(value)) for key, value in table.items()}
        problem = _lookup(text, lowered, dict.fromkeys(table, exp.Null()), problem_text(code, column, *message))
        read = _lookup(text, lowered, known, as_sql(unknown))
        return case([(blank, unknown)], read), case([(blank, exp.Null())], problem)
    number = _WholeNumber.of(text)
    limits: list[tuple[exp.Expr, str]] = []
    if fact.minimum is not None:
        limits.append((number.below(fact.minimum), f"cannot be less than {fact.minimum}"))
    if fact.maximum is not None:
        limits.append((number.above(fact.maximum), f"cannot be more than {fact.maximum}"))
    whens: list[tuple[Sql, Sql]] = [(blank, unknown), (not_(number.whole), unknown), *((c, unknown) for c, _ in limits)]
    read = case([*whens, *_number_class(classes, number.above)], len(classes.values) - 1)
    not_whole = (f"{name} is a whole number, not `", text, "` (write a number such as `12`)")
    whens = [(blank, exp.Null()), (not_(number.whole), problem_text("record.type", column, *not_whole))]
    for condition, limit in limits:
        whens.append(
            (condition, problem_text("record.out-of-range", column, f"{name} {limit}, got ", number.written()))
        )
    return read, case(whens)


# --- dates -------------------------------------------------------------------------------


def _read_dates(
    reading: Reading, service: DateCell, discharge: DateCell, classes: FactClasses
) -> tuple[exp.Expr, list[exp.Expr | None]]:
    """The class of a fact derived from a service and a discharge date, and its problems
    (the service date's, the discharge date's, a number out of range), as `binding._derive`."""
    assert reading.dates is not None
    fact, written, unknown = reading.fact, reading.dates.format, len(classes.values)
    example = DATE_FORMATS[written].example
    advice = f"write dates as {written}, such as `{example}`, or change their `format:` in the mapping"
    problems: list[exp.Expr | None] = []
    for column, date in zip(reading.columns, (service, discharge), strict=True):
        said = ("`", date.text, f"` is not a date written {written} ({advice})")
        problems.append(case([(date.unreadable, problem_text("record.date", column, *said))]))
    days = exp.Cast(this=op(exp.Sub, service.day, exp.paren(discharge.day)), to=exp.DataType.build("BIGINT"))
    either = any_of(service.unreadable, discharge.unreadable)
    if fact.type is FactType.BOOLEAN:
        undischarged, after = classes.class_of(False), classes.class_of(True)
        whens: list[tuple[Sql, Sql]] = [(either, unknown), (discharge.blank, undischarged), (service.blank, unknown)]
        return case([*whens, (op(exp.GTE, days, 0), after)], undischarged), [*problems, None]
    whens = [(either, unknown), (discharge.blank, unknown), (service.blank, unknown), (op(exp.LT, days, 0), unknown)]
    too_many = None
    if fact.maximum is not None:
        above = op(exp.GT, days, fact.maximum)
        whens.append((above, unknown))
        counted = (exp.Cast(this=days, to=exp.DataType.build("TEXT")), " days from discharge to service")
        problem = problem_text(
            "record.out-of-range", reading.column, f"`{fact.name}` cannot be more than {fact.maximum}, got ", *counted
        )
        too_many = case([(any_of(either, discharge.blank, service.blank), exp.Null()), (above, problem)])
    read = case([*whens, *_number_class(classes, lambda bound: op(exp.GT, days, bound))], len(classes.values) - 1)
    return read, [*problems, too_many]


# --- a row -------------------------------------------------------------------------------


def read_sql(
    binding: Binding, policy: Policy | Sequence[Policy], cell: Cell, dialect: str, computed: Cell | None = None
) -> ReadSql:
    """The SQL reading of a row's mapped cells (see the module docstring). With
    `computed`, what is read more than once (each cell's text, a coded cell's matching
    text, each date's day and whether it is unreadable) is left to columns computed
    beneath (`ReadSql.columns`), which `computed` gives the SQL of by their names."""
    columns: dict[str, exp.Expr] = {}

    def once(name: str, sql: exp.Expr) -> exp.Expr:
        columns[name] = sql
        return sql if computed is None else computed(name)

    key = [binding.scope.column] if binding.scope is not None else []
    key += [column for reading in binding.readings for column in reading.columns]
    key += [binding.dated.column] if binding.dated is not None else []
    cells = {column: cell_text(cell(column), dialect) for column in dict.fromkeys(key)}
    texts = {column: once(f"billability text {column}", sql) for column, sql in cells.items()}
    # A CASE on a text compares it with each code anew in some databases: it is lowered once.
    coded = [binding.scope.column] if binding.scope is not None else []
    coded += [reading.column for reading in binding.readings if reading.dates is None]
    lowered = {column: once(f"billability key {column}", matching_text(cells[column])) for column in coded}

    def date(column: str, format_name: str) -> DateCell:
        found = DateCell.of(cells[column], format_name)
        if computed is None:
            return found
        day = case([(any_of(found.blank, found.unreadable), exp.Null())], found.day)
        named = f"{column} {format_name}"
        unreadable = once(f"billability unreadable {named}", found.unreadable)
        return DateCell(texts[column], is_blank(texts[column]), unreadable, once(f"billability day {named}", day))

    dates = {
        (column, r.dates.format): date(column, r.dates.format)
        for r in binding.readings
        if r.dates is not None
        for column in r.columns
    }
    classes: list[exp.Expr] = []
    problems: list[list[exp.Expr | None]] = []
    for reading, fact_classes in zip(binding.readings, classes_of_readings(binding, policy), strict=True):
        if reading.dates is not None:
            service, discharge = (dates[column, reading.dates.format] for column in reading.columns)
            read, said = _read_dates(reading, service, discharge, fact_classes)
        else:
            read, problem = _read_cell(reading, texts[reading.column], lowered[reading.column], fact_classes)
            said = [problem]
        classes.append(read)
        problems.append(said)
    places = tuple(  # a place that can never hold a problem is left out
        (text, facts) for n, kind, facts in problem_places(binding) if (text := problems[n][kind]) is not None
    )
    in_scope = None
    if binding.scope is not None:
        text = texts[binding.scope.column]
        scope_codes: dict[str, exp.Expr] = dict.fromkeys(sorted(binding.scope.codes), exp.true())
        matched = _lookup(text, lowered[binding.scope.column], scope_codes, exp.false())
        in_scope = case([(exp.Is(this=text.copy(), expression=exp.Null()), exp.false())], matched)
    version = undated = None
    if binding.dated is not None:
        version, undated = _version_sql(binding, date(binding.dated.column, binding.dated.format))
    computed_columns = tuple(columns.items()) if computed is not None else ()
    return ReadSql(tuple(classes), places, in_scope, computed_columns, version, undated)


def _version_sql(binding: Binding, found: DateCell) -> tuple[exp.Expr, exp.Expr]:
    """The position of the version in force on a service date, and the problem when none
    is, as `binding.DatedVersions.version_of` says them."""
    assert binding.dated is not None
    column, written, versions = binding.dated.column, binding.dated.format, binding.dated.versions
    days = [civil_day(switch) for switch in binding.dated.switches]
    usable = not_(any_of(found.blank, found.unreadable))
    later_first = sorted(enumerate(days), reverse=True)
    version = case([(not_(usable), exp.Null()), *((op(exp.GTE, found.day, day), n) for n, day in later_first)])
    example = DATE_FORMATS[written].example
    advice = f"write dates as {written}, such as `{example}`, or change the `format:` of `service_date` in the mapping"
    first = binding.dated.switches[0].isoformat()
    blank = "the service date is blank (the version of the policy in force on the service date decides a record: fill in its date)"
    before = (
        f"` is before the first version of the policy ({versions[0]}, in effect from {first}) "
        "(no version of the policy was in force then, so nothing can decide it)"
    )
    undated = case(
        [
            (found.blank, problem_text("record.no-service-date", column, blank)),
            (
                found.unreadable,
                problem_text("record.date", column, "`", found.text, f"` is not a date written {written} ({advice})"),
            ),
            (op(exp.LT, found.day, days[0]), problem_text("version.before-first", column, "`", found.text, before)),
        ]
    )
    return version, undated
