"""Read the mapped cells of a record in SQL, as `mapping.Binding.facts` reads them.

In: a `Binding` (a mapping bound to the columns of a table), the `Policy`, the SQL of
a column by its name (`Cell`), the dialect the query is written for (`duckdb`,
`postgres`, `spark` or `sqlite`) and maybe the SQL of columns computed beneath
(`computed`).
Out: `read_sql`, a `ReadSql` of sqlglot expressions over one row: for each mapped fact
(binding order) the position of its value's class among the fact's classes
(`unreadable.classes_of_readings`), or their count when the fact is unknown (a blank
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
cast to a number that might not hold it. Dates are taken apart by position as
`dates.DATE_FORMATS` shapes them, their parts cast to numbers only under a CASE that
found digits there, the day checked against its month's length with leap years, and
counted by integer arithmetic (days from the civil calendar), so every engine counts
the days `dates.read_date` counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from sqlglot import exp

from billability.audit.binding import Binding, Reading
from billability.audit.dates import DATE_FORMATS
from billability.audit.unreadable import classes_of_readings, problem_places
from billability.decide.diagram import FactClasses
from billability.model.diagnostics import one_of
from billability.model.policy import FactType
from billability.policy.compiled import Policy

Cell = Callable[[str], exp.Expr]
"""The SQL of a column of the table, by its name."""

WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
DIGITS = "0123456789"
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
    over the table's own cells: to be computed in a SELECT beneath."""

    classes: tuple[exp.Expr, ...]
    problems: tuple[tuple[exp.Expr, tuple[str, ...]], ...]
    in_scope: exp.Expr | None
    columns: tuple[tuple[str, exp.Expr], ...] = ()


# --- small pieces of SQL -----------------------------------------------------------------

Sql = exp.Expr | str | int


def _sql(value: Sql) -> exp.Expr:
    """An expression (copied, as every use of one is), or a literal of text or a number."""
    if isinstance(value, exp.Expr):
        return value.copy()
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def _op(kind: type[exp.Binary], left: Sql, right: Sql) -> exp.Expr:
    return kind(this=_sql(left), expression=_sql(right))


def _all(*conditions: Sql) -> exp.Expr:
    return exp.and_(*(exp.paren(_sql(c), copy=False) for c in conditions), copy=False)


def _any(*conditions: Sql) -> exp.Expr:
    return exp.or_(*(exp.paren(_sql(c), copy=False) for c in conditions), copy=False)


def _not(condition: Sql) -> exp.Expr:
    return exp.Not(this=exp.paren(_sql(condition), copy=False))


def _case(whens: Sequence[tuple[Sql, Sql]], default: Sql | None = None) -> exp.Expr:
    ifs = [exp.If(this=exp.paren(_sql(c), copy=False), true=_sql(v)) for c, v in whens]
    return exp.Case(ifs=ifs, default=None if default is None else _sql(default))


def _in(value: Sql, *choices: Sql) -> exp.Expr:
    return exp.In(this=_sql(value), expressions=[_sql(c) for c in choices])


def _length(text: Sql) -> exp.Expr:
    return exp.Length(this=_sql(text))


def _substring(text: Sql, start: Sql, length: Sql | None = None) -> exp.Expr:
    return exp.Substring(this=_sql(text), start=_sql(start), length=None if length is None else _sql(length))


def _trim(text: Sql, characters: str, position: str = "BOTH") -> exp.Expr:
    return exp.Trim(this=_sql(text), expression=_sql(characters), position=position)


def _replace(text: Sql, old: str, new: str) -> exp.Expr:
    return exp.Replace(this=_sql(text), expression=_sql(old), replacement=_sql(new))


def _joined(*parts: Sql) -> exp.Expr:
    """Text put together; the parts are never NULL where it is used."""
    joined = _sql(parts[0])
    for part in parts[1:]:
        joined = exp.DPipe(this=joined, expression=_sql(part), safe=True)
    return joined


def _problem(code: str, column: str, *message: Sql) -> exp.Expr:
    """A problem's text after its severity, as `str(RowProblem)` writes it."""
    return _joined(f"[{code}]: column `{column}`: ", *message)


# --- a cell's text, and matching it ------------------------------------------------------


def cell_text(cell: exp.Expr, dialect: str) -> exp.Expr:
    """A cell as text, trimmed as `str.strip()` trims (NULL stays NULL). DuckDB trims a
    set of letters beyond ASCII seven times slower than a regular expression does."""
    if dialect == "sqlite":
        return _trim(cell, WHITESPACE)
    text = exp.Cast(this=cell, to=exp.DataType.build("TEXT"))
    if dialect == "duckdb":
        around = f"[{WHITESPACE}]+"
        ends = _sql(f"^{around}|{around}$")
        return exp.RegexpReplace(this=text, expression=ends, replacement=_sql(""), modifiers=_sql("g"))
    return _trim(text, WHITESPACE)


def _blank(text: exp.Expr) -> exp.Expr:
    return _any(exp.Is(this=text.copy(), expression=exp.Null()), _op(exp.EQ, text, ""))


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
    return exp.Lower(this=_replace(_replace(text, KELVIN, "k"), DOTTED_I, DOTTED_I.lower()))


def _lookup(text: exp.Expr, lowered: exp.Expr, table: dict[str, exp.Expr], default: exp.Expr) -> exp.Expr:
    """The entry of `table` (by `mapping.key_of`) a trimmed, non-blank cell matches, or
    `default`: an ASCII key on the lowered text (`matching_text`), another letter by
    letter."""
    ascii_keys = [exp.If(this=_sql(key), true=_sql(value)) for key, value in table.items() if key.isascii()]
    found = exp.Case(this=lowered, ifs=ascii_keys, default=_sql(default)) if ascii_keys else _sql(default)
    spelled = _replace(text, DOTTED_I, DOTTED_I.lower())
    others = [
        (
            _all(
                _op(exp.EQ, _length(spelled), len(key)),
                *(_in(_substring(spelled, n + 1, 1), *_lowered_from().get(c, c)) for n, c in enumerate(key)),
            ),
            value,
        )
        for key, value in table.items()
        if not key.isascii()
    ]
    return _case(others, found) if others else found


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
        unsigned = _trim(text, "+-", "LEADING")
        whole = _all(
            _op(exp.GT, _length(unsigned), 0),
            _op(exp.LTE, _op(exp.Sub, _length(text), _length(unsigned)), 1),
            _op(exp.EQ, _trim(unsigned, DIGITS), ""),
        )
        digits = _trim(text, "+-0", "LEADING")  # the digits, where the text is a whole number
        return _WholeNumber(whole, _op(exp.EQ, _substring(text, 1, 1), "-"), digits)

    def _beyond(self, bound: int, compare: type[exp.Binary]) -> exp.Expr:
        """Whether the digits compare so (`exp.GT`, `exp.LT`) with |bound|'s: by length,
        then, as long, as text."""
        written = str(abs(bound)) if bound else ""
        same_length = _op(exp.EQ, _length(self.digits), len(written))
        return _any(
            _op(compare, _length(self.digits), len(written)), _all(same_length, _op(compare, self.digits, written))
        )

    def above(self, bound: int) -> exp.Expr:
        if bound >= 0:
            return _all(_not(self.negative), self._beyond(bound, exp.GT))
        return _any(_not(self.negative), self._beyond(bound, exp.LT))

    def below(self, bound: int) -> exp.Expr:
        if bound > 0:
            return _any(self.negative, self._beyond(bound, exp.LT))
        return _all(self.negative, self._beyond(bound, exp.GT))

    def written(self) -> exp.Expr:
        """As Python writes `int(text)`."""
        return _case([(_op(exp.EQ, self.digits, ""), "0"), (self.negative, _joined("-", self.digits))], self.digits)


def _number_class(classes: FactClasses, above: Callable[[int], exp.Expr]) -> list[tuple[Sql, Sql]]:
    """The WHENs giving a number's class (`FactClasses.class_of`), but the last."""
    return [(_not(above(high)), n) for n, (_, high) in enumerate(classes.ranges[:-1]) if high is not None]


# --- one cell ------------------------------------------------------------------------------


def _read_cell(reading: Reading, text: exp.Expr, lowered: exp.Expr, classes: FactClasses) -> tuple[exp.Expr, exp.Expr]:
    """The class and the problem of a fact read from one cell, as `mapping._read`."""
    fact, column, unknown, blank = reading.fact, reading.column, len(classes.values), _blank(text)
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
        known = {key: _sql(unknown if value is None else classes.class_of(value)) for key, value in table.items()}
        problem = _lookup(text, lowered, dict.fromkeys(table, exp.Null()), _problem(code, column, *message))
        read = _lookup(text, lowered, known, _sql(unknown))
        return _case([(blank, unknown)], read), _case([(blank, exp.Null())], problem)
    number = _WholeNumber.of(text)
    limits: list[tuple[exp.Expr, str]] = []
    if fact.minimum is not None:
        limits.append((number.below(fact.minimum), f"cannot be less than {fact.minimum}"))
    if fact.maximum is not None:
        limits.append((number.above(fact.maximum), f"cannot be more than {fact.maximum}"))
    whens: list[tuple[Sql, Sql]] = [(blank, unknown), (_not(number.whole), unknown), *((c, unknown) for c, _ in limits)]
    read = _case([*whens, *_number_class(classes, number.above)], len(classes.values) - 1)
    not_whole = (f"{name} is a whole number, not `", text, "` (write a number such as `12`)")
    whens = [(blank, exp.Null()), (_not(number.whole), _problem("record.type", column, *not_whole))]
    for condition, limit in limits:
        whens.append((condition, _problem("record.out-of-range", column, f"{name} {limit}, got ", number.written())))
    return read, _case(whens)


# --- dates -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Date:
    """A trimmed date cell read in a format as `dates.read_date` reads it: blank,
    unreadable (neither blank nor a date), and its day number (to be used only where it
    is a date: its parts are cast to numbers only there)."""

    text: exp.Expr
    blank: exp.Expr
    unreadable: exp.Expr
    day: exp.Expr

    @staticmethod
    def of(text: exp.Expr, format_name: str) -> _Date:
        shape, length = DATE_FORMATS[format_name], _length(text)
        places: list[tuple[Sql, Sql]]
        if shape.order[0] == "y":  # yyyy-mm-dd
            separator, places = "-", [(1, 4), (6, 2), (9, 2)]
            fits = [
                _op(exp.EQ, length, 10),
                _op(exp.EQ, _substring(text, 5, 1), "-"),
                _op(exp.EQ, _substring(text, 8, 1), "-"),
            ]
        else:  # one or two digits, a slash, one or two digits, a slash, four digits
            first = _case([(_op(exp.EQ, _substring(text, 2, 1), "/"), 1)], 2)
            second = _op(exp.Sub, _op(exp.Sub, length, first), 6)
            separator, places = "/", [(1, first), (_op(exp.Add, first, 2), second), (_op(exp.Sub, length, 3), 4)]
            fits = [
                _in(_op(exp.Sub, length, first), 7, 8),
                _op(exp.EQ, _substring(text, _op(exp.Add, first, 1), 1), "/"),
                _op(exp.EQ, _substring(text, _op(exp.Sub, length, 4), 1), "/"),
            ]
        digits = _replace(text, separator, "")
        fits += [_op(exp.EQ, _length(digits), _op(exp.Sub, length, 2)), _op(exp.EQ, _trim(digits, DIGITS), "")]
        parts = [exp.Cast(this=_substring(text, start, size), to=exp.DataType.build("INT")) for start, size in places]
        y, m, d = (dict(zip(shape.order, parts, strict=True))[part] for part in "ymd")
        leap = _all(
            _op(exp.EQ, _op(exp.Mod, y, 4), 0),
            _any(_op(exp.NEQ, _op(exp.Mod, y, 100), 0), _op(exp.EQ, _op(exp.Mod, y, 400), 0)),
        )
        month_days = _case([(_op(exp.EQ, m, 2), _case([(leap, 29)], 28)), (_in(m, 4, 6, 9, 11), 30)], 31)
        valid = _all(  # Python has no year 0
            _op(exp.GTE, y, 1),
            exp.Between(this=_sql(m), low=_sql(1), high=_sql(12)),
            exp.Between(this=_sql(d), low=_sql(1), high=month_days),
        )
        blank = _blank(text)
        unreadable = _all(_not(blank), _not(_case([(_all(*fits), valid)], exp.false())))
        # Days from the civil calendar, in years starting in March so that a leap day is
        # a year's last; the years are 1 to 9999, so nothing divided is below zero.
        year = _op(exp.Sub, y, _case([(_op(exp.LTE, m, 2), 1)], 0))
        month = _op(exp.Mod, exp.paren(_op(exp.Add, m, 9)), 12)
        terms = [
            _op(exp.Mul, 365, exp.paren(year)),
            *(
                _op(exp.Mul, sign, exp.IntDiv(this=exp.paren(year), expression=_sql(by)))
                for sign, by in ((1, 4), (-1, 100), (1, 400))
            ),
            exp.IntDiv(this=exp.paren(_op(exp.Add, _op(exp.Mul, 153, month), 2)), expression=_sql(5)),
            d,
        ]
        day = terms[0]
        for term in terms[1:]:
            day = _op(exp.Add, day, term)
        return _Date(text, blank, unreadable, day)


def _read_dates(
    reading: Reading, service: _Date, discharge: _Date, classes: FactClasses
) -> tuple[exp.Expr, list[exp.Expr | None]]:
    """The class of a fact derived from a service and a discharge date, and its problems
    (the service date's, the discharge date's, a number out of range), as `mapping._derive`."""
    assert reading.dates is not None
    fact, written, unknown = reading.fact, reading.dates.format, len(classes.values)
    example = DATE_FORMATS[written].example
    advice = f"write dates as {written}, such as `{example}`, or change their `format:` in the mapping"
    problems: list[exp.Expr | None] = []
    for column, date in zip(reading.columns, (service, discharge), strict=True):
        said = ("`", date.text, f"` is not a date written {written} ({advice})")
        problems.append(_case([(date.unreadable, _problem("record.date", column, *said))]))
    days = exp.Cast(this=_op(exp.Sub, service.day, exp.paren(discharge.day)), to=exp.DataType.build("BIGINT"))
    either = _any(service.unreadable, discharge.unreadable)
    if fact.type is FactType.BOOLEAN:
        undischarged, after = classes.class_of(False), classes.class_of(True)
        whens: list[tuple[Sql, Sql]] = [(either, unknown), (discharge.blank, undischarged), (service.blank, unknown)]
        return _case([*whens, (_op(exp.GTE, days, 0), after)], undischarged), [*problems, None]
    whens = [(either, unknown), (discharge.blank, unknown), (service.blank, unknown), (_op(exp.LT, days, 0), unknown)]
    too_many = None
    if fact.maximum is not None:
        above = _op(exp.GT, days, fact.maximum)
        whens.append((above, unknown))
        counted = (exp.Cast(this=days, to=exp.DataType.build("TEXT")), " days from discharge to service")
        problem = _problem(
            "record.out-of-range", reading.column, f"`{fact.name}` cannot be more than {fact.maximum}, got ", *counted
        )
        too_many = _case([(_any(either, discharge.blank, service.blank), exp.Null()), (above, problem)])
    read = _case([*whens, *_number_class(classes, lambda bound: _op(exp.GT, days, bound))], len(classes.values) - 1)
    return read, [*problems, too_many]


# --- a row -------------------------------------------------------------------------------


def read_sql(binding: Binding, policy: Policy, cell: Cell, dialect: str, computed: Cell | None = None) -> ReadSql:
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
    cells = {column: cell_text(cell(column), dialect) for column in dict.fromkeys(key)}
    texts = {column: once(f"billability text {column}", sql) for column, sql in cells.items()}
    # A CASE on a text compares it with each code anew in some databases: it is lowered once.
    coded = [binding.scope.column] if binding.scope is not None else []
    coded += [reading.column for reading in binding.readings if reading.dates is None]
    lowered = {column: once(f"billability key {column}", matching_text(cells[column])) for column in coded}

    def date(column: str, format_name: str) -> _Date:
        found = _Date.of(cells[column], format_name)
        if computed is None:
            return found
        day = _case([(_any(found.blank, found.unreadable), exp.Null())], found.day)
        named = f"{column} {format_name}"
        unreadable = once(f"billability unreadable {named}", found.unreadable)
        return _Date(texts[column], _blank(texts[column]), unreadable, once(f"billability day {named}", day))

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
        in_scope = _case([(exp.Is(this=text.copy(), expression=exp.Null()), exp.false())], matched)
    return ReadSql(tuple(classes), places, in_scope, tuple(columns.items()) if computed is not None else ())
