"""Read the mapped cells of a record in SQL, as `mapping.Binding.facts` reads them.

In: a `Binding` (a mapping bound to the columns of a table), the `Policy`, the SQL of
a column by its name (`Cell`) and the dialect the query is written for (`duckdb`,
`postgres`, `spark` or `sqlite`).
Out: `read_sql`, a `ReadSql` of sqlglot expressions over one row: for each mapped fact
(binding order) the position of its value's class among the fact's classes
(`unreadable.classes_of_readings`), or their count when the fact is unknown (a blank
cell, a code mapped to `~`, a cell that cannot be read); every problem a row can have,
in the order and with the merging `Binding.facts` gives them
(`unreadable.problem_places`), as the text of its `RowProblem` after the severity
(`[record.unknown-code]: column `c`: ...`), NULL where the row has none, with the facts
it feeds; and, with a scope, whether the row is audited.

How: a cell is its text (`CAST(cell AS TEXT)`) trimmed of the whitespace Python's
`str.strip()` strips; NULL or an empty text is blank. Codes and value names are matched
as `mapping.key_of` matches them: an ASCII code on the lowered text (after the two
letters whose Python lowering no database shares, the Kelvin sign and `İ`, are
replaced by it), any other code letter by letter against every letter Python lowers to
it, so no database's own idea of case decides. A database cannot compute the audit's
"did you mean" (difflib): an unknown code or value gets the hint the audit gives when
nothing is close. Whole numbers are checked with string functions (a sign, then digits
that trimming the digits away leaves nothing of) and compared with the policy's bounds
as digits, by length and then as text, so no text is ever cast to a number that might
not hold it. Dates are taken apart by position as `dates.DATE_FORMATS` shapes them,
their parts checked as digits before they are cast, the day checked against its
month's length with leap years, and counted from a fixed day by integer arithmetic
(days from the civil calendar), so every engine counts the days `dates.read_date`
counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from sqlglot import exp

from billability.dates import DATE_FORMATS
from billability.diagnostics import one_of
from billability.diagram import FactClasses
from billability.mapping import Binding
from billability.model import Fact, FactType, Policy, Value
from billability.unreadable import classes_of_readings, problem_places

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
    `in_scope`: a boolean, whether the row is audited; None without a scope."""

    classes: tuple[exp.Expr, ...]
    problems: tuple[tuple[exp.Expr, tuple[str, ...]], ...]
    in_scope: exp.Expr | None


# --- small pieces of SQL -----------------------------------------------------------------


def _text(literal: str) -> exp.Expr:
    return exp.Literal.string(literal)


def _number(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def _length(text: exp.Expr) -> exp.Expr:
    return exp.Length(this=text.copy())


def _substring(text: exp.Expr, start: exp.Expr | int, length: exp.Expr | int | None = None) -> exp.Expr:
    starting = _number(start) if isinstance(start, int) else start.copy()
    if length is None:
        return exp.Substring(this=text.copy(), start=starting)
    counted = _number(length) if isinstance(length, int) else length.copy()
    return exp.Substring(this=text.copy(), start=starting, length=counted)


def _trimmed(text: exp.Expr, characters: str, position: str = "BOTH") -> exp.Expr:
    return exp.Trim(this=text.copy(), expression=_text(characters), position=position)


def _joined(*parts: exp.Expr | str) -> exp.Expr:
    """Text put together; the parts are never NULL where it is used."""
    pieces = [_text(p) if isinstance(p, str) else p.copy() for p in parts]
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = exp.DPipe(this=joined, expression=piece, safe=True)
    return joined


def _case(whens: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None) -> exp.Expr:
    return exp.Case(
        ifs=[exp.If(this=exp.paren(c.copy(), copy=False), true=v.copy()) for c, v in whens],
        default=default.copy() if default is not None else None,
    )


def _all(*conditions: exp.Expr) -> exp.Expr:
    return exp.and_(*(exp.paren(c.copy(), copy=False) for c in conditions), copy=False)


def _any(*conditions: exp.Expr) -> exp.Expr:
    return exp.or_(*(exp.paren(c.copy(), copy=False) for c in conditions), copy=False)


def _not(condition: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.paren(condition.copy(), copy=False))


def _strictly(condition: exp.Expr) -> exp.Expr:
    """A condition that is true or false, never NULL."""
    return _case([(condition, exp.true())], exp.false())


def _problem(code: str, column: str, *message: exp.Expr | str) -> exp.Expr:
    return _joined(f"[{code}]: column `{column}`: ", *message)


# --- a cell's text, and matching it ------------------------------------------------------


def cell_text(cell: exp.Expr, dialect: str) -> exp.Expr:
    """A cell as text, trimmed as `str.strip()` trims (NULL stays NULL)."""
    text = cell if dialect == "sqlite" else exp.Cast(this=cell, to=exp.DataType.build("TEXT"))
    return _trimmed(text, WHITESPACE)


def _blank(text: exp.Expr) -> exp.Expr:
    return _any(exp.Is(this=text.copy(), expression=exp.Null()), exp.EQ(this=text.copy(), expression=_text("")))


@cache
def _lowered_from() -> dict[str, str]:
    """For each letter, every letter Python lowers to it (itself among them)."""
    found: dict[str, list[str]] = {}
    for letter in map(chr, range(0x110000)):
        lowered = letter.lower()
        if len(lowered) == 1:
            found.setdefault(lowered, []).append(letter)
    return {lowered: "".join(letters) for lowered, letters in found.items()}


def _matches(text: exp.Expr, key: str) -> exp.Expr:
    """Whether a trimmed cell's Python lowering is `key` (a non-ASCII `key_of`):
    letter by letter, `İ` first written as the two letters Python lowers it to."""
    spelled = exp.Replace(this=text.copy(), expression=_text(DOTTED_I), replacement=_text(DOTTED_I.lower()))
    letters = [
        exp.In(this=_substring(spelled, n + 1, 1), expressions=[_text(c) for c in _lowered_from().get(letter, letter)])
        for n, letter in enumerate(key)
    ]
    return _all(exp.EQ(this=_length(spelled), expression=_number(len(key))), *letters)


def _lookup(text: exp.Expr, table: dict[str, exp.Expr], default: exp.Expr) -> exp.Expr:
    """SQL giving the entry of `table` (by `key_of`) a trimmed, non-blank cell matches,
    or `default`."""
    ascii_keys = {key: value for key, value in table.items() if key.isascii()}
    lowered = exp.Lower(
        this=exp.Replace(
            this=exp.Replace(this=text.copy(), expression=_text(KELVIN), replacement=_text("k")),
            expression=_text(DOTTED_I),
            replacement=_text(DOTTED_I.lower()),
        )
    )
    matched = (
        exp.Case(
            this=lowered,
            ifs=[exp.If(this=_text(key), true=value.copy()) for key, value in ascii_keys.items()],
            default=default.copy(),
        )
        if ascii_keys
        else default.copy()
    )
    others = [(_matches(text, key), value) for key, value in table.items() if not key.isascii()]
    return _case(others, matched) if others else matched


# --- whole numbers -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _WholeNumber:
    """A trimmed cell read as a whole number: whether it is one (`[-+]?[0-9]+`), whether
    it is below zero, and its digits without leading zeros ('' for zero)."""

    whole: exp.Expr
    negative: exp.Expr
    digits: exp.Expr

    @staticmethod
    def of(text: exp.Expr) -> _WholeNumber:
        first = _substring(text, 1, 1)
        signed = exp.In(this=first, expressions=[_text("+"), _text("-")])
        body = _case([(signed, _substring(text, 2))], text)
        whole = _all(
            exp.GT(this=_length(body), expression=_number(0)),
            exp.EQ(this=_trimmed(body, DIGITS), expression=_text("")),
        )
        digits = _trimmed(body, "0", "LEADING")
        negative = _all(exp.EQ(this=first, expression=_text("-")), exp.NEQ(this=digits, expression=_text("")))
        return _WholeNumber(whole, negative, digits)

    def _beyond(self, bound: int, compare: type[exp.Binary]) -> exp.Expr:
        """Whether the digits compare so (`exp.GT`, `exp.LT`) with |bound|'s: by length,
        then, as long, as text."""
        written = str(abs(bound)) if bound else ""
        return _any(
            compare(this=_length(self.digits), expression=_number(len(written))),
            _all(
                exp.EQ(this=_length(self.digits), expression=_number(len(written))),
                compare(this=self.digits.copy(), expression=_text(written)),
            ),
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
        return _case(
            [(exp.EQ(this=self.digits, expression=_text("")), _text("0")), (self.negative, _joined("-", self.digits))],
            self.digits,
        )


def _number_class(classes: FactClasses, above: Callable[[int], exp.Expr]) -> list[tuple[exp.Expr, exp.Expr]]:
    """The WHENs giving a number's class (`FactClasses.class_of`) up to the last class."""
    return [(_not(above(high)), _number(n)) for n, (_, high) in enumerate(classes.ranges[:-1]) if high is not None]


# --- one cell ------------------------------------------------------------------------------


def _read_cell(
    fact: Fact,
    column: str,
    codes: dict[str, Value | None] | None,
    spellings: dict[str, str],
    text: exp.Expr,
    classes: FactClasses,
) -> tuple[exp.Expr, exp.Expr]:
    """The class and the problem of a fact read from one cell, as `mapping._read`."""
    unknown = _number(len(classes.values))
    blank = _blank(text)
    table: dict[str, Value | None] | None
    if codes is not None:
        table = codes
        hint = f"add it under `codes:` of `{fact.name}` in the mapping"
        message = ("`", text, f"` is not a code the mapping gives for `{fact.name}` ({hint})")
        code = "record.unknown-code"
    elif fact.type is FactType.ENUM:
        table = dict(spellings)
        message = ("`", text, f"` is not a value of `{fact.name}` ({one_of(fact.value_names)})")
        code = "record.unknown-value"
    elif fact.type is FactType.BOOLEAN:
        table = {"true": True, "false": False}
        message = (f"`{fact.name}` is true or false, not `", text, "` (write `true` or `false`)")
        code = "record.type"
    else:
        table = None
    if table is not None:
        known = {key: unknown if value is None else _number(classes.class_of(value)) for key, value in table.items()}
        read = _case([(blank, unknown)], _lookup(text, known, unknown))
        problem = _case(
            [(blank, exp.Null())], _lookup(text, dict.fromkeys(table, exp.Null()), _problem(code, column, *message))
        )
        return read, problem
    number = _WholeNumber.of(text)
    limits: list[tuple[exp.Expr, str]] = []
    if fact.minimum is not None:
        limits.append((number.below(fact.minimum), f"cannot be less than {fact.minimum}"))
    if fact.maximum is not None:
        limits.append((number.above(fact.maximum), f"cannot be more than {fact.maximum}"))
    read = _case(
        [
            (blank, unknown),
            (_not(number.whole), unknown),
            *((c, unknown) for c, _ in limits),
            *_number_class(classes, number.above),
        ],
        _number(len(classes.values) - 1),
    )
    not_whole = _problem(
        "record.type", column, f"`{fact.name}` is a whole number, not `", text, "` (write a number such as `12`)"
    )
    problem = _case(
        [
            (blank, exp.Null()),
            (_not(number.whole), not_whole),
            *(
                (c, _problem("record.out-of-range", column, f"`{fact.name}` {limit}, got ", number.written()))
                for c, limit in limits
            ),
        ]
    )
    return read, problem


# --- dates -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Date:
    """A date cell read in a format: blank, unreadable (neither blank nor a date), and
    its day number (meaningful when it is a date)."""

    blank: exp.Expr
    unreadable: exp.Expr
    day: exp.Expr


def _digits(part: exp.Expr, longest: int) -> exp.Expr:
    """A part of a date as a number, NULL unless it is 1 to `longest` digits (so the
    cast never sees other text)."""
    is_digits = _all(
        exp.Between(this=_length(part), low=_number(1), high=_number(longest)),
        exp.EQ(this=_trimmed(part, DIGITS), expression=_text("")),
    )
    return exp.Cast(this=_case([(is_digits, part)]), to=exp.DataType.build("INT"))


def _parts(text: exp.Expr, format_name: str) -> tuple[exp.Expr, dict[str, exp.Expr]]:
    """Whether a trimmed cell has the shape of the format, and its parts by `y`, `m`, `d`
    (NULL where they are no digits)."""
    shape = DATE_FORMATS[format_name]
    length = _length(text)
    if shape.order == ("y", "m", "d"):  # yyyy-mm-dd
        fits = _all(
            exp.EQ(this=length, expression=_number(10)),
            exp.EQ(this=_substring(text, 5, 1), expression=_text("-")),
            exp.EQ(this=_substring(text, 8, 1), expression=_text("-")),
        )
        found = [
            _digits(_substring(text, 1, 4), 4),
            _digits(_substring(text, 6, 2), 2),
            _digits(_substring(text, 9, 2), 2),
        ]
    else:  # one or two digits, a slash, one or two digits, a slash, four digits
        first = _case([(exp.EQ(this=_substring(text, 2, 1), expression=_text("/")), _number(1))], _number(2))
        rest = exp.Sub(this=length.copy(), expression=first.copy())  # the second part's length + 6
        fits = _all(
            exp.In(this=rest, expressions=[_number(7), _number(8)]),
            exp.EQ(this=_substring(text, exp.Add(this=first.copy(), expression=_number(1)), 1), expression=_text("/")),
            exp.EQ(this=_substring(text, exp.Sub(this=length.copy(), expression=_number(4)), 1), expression=_text("/")),
        )
        second = _substring(
            text,
            exp.Add(this=first.copy(), expression=_number(2)),
            _case([(exp.EQ(this=rest.copy(), expression=_number(8)), _number(2))], _number(1)),
        )
        year = _substring(text, exp.Sub(this=length.copy(), expression=_number(3)), 4)
        found = [_digits(_substring(text, 1, first), 2), _digits(second, 2), _digits(year, 4)]
    return fits, dict(zip(shape.order, found, strict=True))


def _mod(value: exp.Expr, by: int) -> exp.Expr:
    return exp.Mod(this=exp.paren(value.copy(), copy=False), expression=_number(by))


def _div(value: exp.Expr, by: int) -> exp.Expr:
    return exp.IntDiv(this=exp.paren(value.copy(), copy=False), expression=_number(by))


def read_date(text: exp.Expr, format_name: str) -> _Date:
    """A trimmed date cell as `dates.read_date` reads it (see `_Date`)."""
    fits, parts = _parts(text, format_name)
    y, m, d = parts["y"], parts["m"], parts["d"]
    leap = _all(
        exp.EQ(this=_mod(y, 4), expression=_number(0)),
        _any(exp.NEQ(this=_mod(y, 100), expression=_number(0)), exp.EQ(this=_mod(y, 400), expression=_number(0))),
    )
    month_days = _case(
        [
            (exp.EQ(this=m, expression=_number(2)), _case([(leap, _number(29))], _number(28))),
            (exp.In(this=m, expressions=[_number(n) for n in (4, 6, 9, 11)]), _number(30)),
        ],
        _number(31),
    )
    valid = _all(
        fits,
        exp.GTE(this=y, expression=_number(1)),  # Python has no year 0
        exp.Between(this=m, low=_number(1), high=_number(12)),
        exp.Between(this=d, low=_number(1), high=month_days),
    )
    blank = _blank(text)
    unreadable = _all(_not(blank), _not(_strictly(valid)))
    # Days from the civil calendar, counted from a year starting in March, so that
    # the leap day is a year's last; the years are 1 to 9999, so no division is negative.
    year = exp.Sub(this=y.copy(), expression=_case([(exp.LTE(this=m, expression=_number(2)), _number(1))], _number(0)))
    month = _mod(exp.Add(this=m.copy(), expression=_number(9)), 12)
    day = exp.Add(
        this=_joined_sum(
            exp.Mul(this=_number(365), expression=exp.paren(year.copy(), copy=False)),
            _div(year, 4),
            exp.Neg(this=_div(year, 100)),
            _div(year, 400),
            _div(exp.Add(this=exp.Mul(this=_number(153), expression=month), expression=_number(2)), 5),
        ),
        expression=d.copy(),
    )
    return _Date(blank, unreadable, day)


def _joined_sum(*terms: exp.Expr) -> exp.Expr:
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return total


def _read_dates(
    fact: Fact, columns: tuple[str, ...], format_name: str, texts: tuple[exp.Expr, exp.Expr], classes: FactClasses
) -> tuple[exp.Expr, list[exp.Expr | None]]:
    """The class of a fact derived from a service and a discharge date, and its problems
    (the service date's, the discharge date's, a number out of range), as `mapping._derive`."""
    service, discharge = read_date(texts[0], format_name), read_date(texts[1], format_name)
    unknown = _number(len(classes.values))
    shape = DATE_FORMATS[format_name]
    problems: list[exp.Expr | None] = [
        _case(
            [
                (
                    date.unreadable,
                    _problem(
                        "record.date",
                        column,
                        "`",
                        text,
                        f"` is not a date written {format_name} (write dates as {format_name}, such as "
                        f"`{shape.example}`, or change their `format:` in the mapping)",
                    ),
                )
            ]
        )
        for column, date, text in zip(columns, (service, discharge), texts, strict=True)
    ]
    days = exp.Cast(
        this=exp.Sub(this=service.day.copy(), expression=exp.paren(discharge.day.copy(), copy=False)),
        to=exp.DataType.build("BIGINT"),
    )
    either = _any(service.unreadable, discharge.unreadable)
    undischarged = _number(classes.class_of(False)) if fact.type is FactType.BOOLEAN else unknown
    whens = [(either, unknown), (discharge.blank, undischarged), (service.blank, unknown)]
    if fact.type is FactType.BOOLEAN:
        whens.append((exp.GTE(this=days, expression=_number(0)), _number(classes.class_of(True))))
        return _case(whens, _number(classes.class_of(False))), [*problems, None]
    too_many = None
    if fact.maximum is not None:
        above = exp.GT(this=days, expression=_number(fact.maximum))
        whens.append((above, unknown))
        message = f"`{fact.name}` cannot be more than {fact.maximum}, got "
        too_many = _case(
            [
                (_any(either, discharge.blank, service.blank), exp.Null()),
                (
                    above,
                    _problem(
                        "record.out-of-range",
                        columns[0],
                        message,
                        exp.Cast(this=days, to=exp.DataType.build("TEXT")),
                        " days from discharge to service",
                    ),
                ),
            ]
        )
    whens.append((exp.LT(this=days, expression=_number(0)), unknown))
    whens += _number_class(classes, lambda bound: exp.GT(this=days, expression=_number(bound)))
    return _case(whens, _number(len(classes.values) - 1)), [*problems, too_many]


# --- a row -------------------------------------------------------------------------------


def read_sql(binding: Binding, policy: Policy, cell: Cell, dialect: str) -> ReadSql:
    """The SQL reading of a row's mapped cells (see the module docstring)."""
    texts = {column: cell_text(cell(column), dialect) for column in binding.mapping.columns}
    found_classes: list[exp.Expr] = []
    found_problems: list[list[exp.Expr | None]] = []
    for reading, classes in zip(binding.readings, classes_of_readings(binding, policy), strict=True):
        if reading.dates is not None:
            service, discharge = reading.columns
            read, problems = _read_dates(
                reading.fact, reading.columns, reading.dates.format, (texts[service], texts[discharge]), classes
            )
            found_classes.append(read)
            found_problems.append(problems)
            continue
        read, problem = _read_cell(
            reading.fact, reading.column, reading.codes, reading.spellings, texts[reading.column], classes
        )
        found_classes.append(read)
        found_problems.append([problem])
    problems = tuple(
        (problem, facts)
        for n, kind, facts in problem_places(binding)
        if (problem := found_problems[n][kind]) is not None
    )
    in_scope = None
    if binding.scope is not None:
        text = texts[binding.scope.column]
        matched = _lookup(text, dict.fromkeys(sorted(binding.scope.codes), exp.true()), exp.false())
        in_scope = _case([(exp.Is(this=text.copy(), expression=exp.Null()), exp.false())], matched)
    return ReadSql(tuple(found_classes), problems, in_scope)
