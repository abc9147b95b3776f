"""Small pieces of SQL, as sqlglot syntax trees, for reading cells in any dialect.

In: expressions, texts and numbers.
Out: the expressions that put them together (`op`, `all_of`, `case`, `substring`, ...),
each copying what it is given, as every use of an expression must; `is_blank` for a
cell's text that is NULL or empty; and `problem_text`, a problem's text after its
severity, as `str(RowProblem)` writes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

DIGITS = "0123456789"

Sql = exp.Expr | str | int


def as_sql(value: Sql) -> exp.Expr:
    """An expression (copied, as every use of one is), or a literal of text or a number."""
    if isinstance(value, exp.Expr):
        return value.copy()
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def op(kind: type[exp.Binary], left: Sql, right: Sql) -> exp.Expr:
    return kind(this=as_sql(left), expression=as_sql(right))


def all_of(*conditions: Sql) -> exp.Expr:
    return exp.and_(*(exp.paren(as_sql(c), copy=False) for c in conditions), copy=False)


def any_of(*conditions: Sql) -> exp.Expr:
    return exp.or_(*(exp.paren(as_sql(c), copy=False) for c in conditions), copy=False)


def not_(condition: Sql) -> exp.Expr:
    return exp.Not(this=exp.paren(as_sql(condition), copy=False))


def case(whens: Sequence[tuple[Sql, Sql]], default: Sql | None = None) -> exp.Expr:
    ifs = [exp.If(this=exp.paren(as_sql(c), copy=False), true=as_sql(v)) for c, v in whens]
    return exp.Case(ifs=ifs, default=None if default is None else as_sql(default))


def in_(value: Sql, *choices: Sql) -> exp.Expr:
    return exp.In(this=as_sql(value), expressions=[as_sql(c) for c in choices])


def length_of(text: Sql) -> exp.Expr:
    return exp.Length(this=as_sql(text))


def substring(text: Sql, start: Sql, length: Sql | None = None) -> exp.Expr:
    return exp.Substring(this=as_sql(text), start=as_sql(start), length=None if length is None else as_sql(length))


def trim(text: Sql, characters: str, position: str = "BOTH") -> exp.Expr:
    return exp.Trim(this=as_sql(text), expression=as_sql(characters), position=position)


def replaced(text: Sql, old: str, new: str) -> exp.Expr:
    return exp.Replace(this=as_sql(text), expression=as_sql(old), replacement=as_sql(new))


def joined(*parts: Sql) -> exp.Expr:
    """Text put together; the parts are never NULL where it is used."""
    text = as_sql(parts[0])
    for part in parts[1:]:
        text = exp.DPipe(this=text, expression=as_sql(part), safe=True)
    return text


def problem_text(code: str, column: str, *message: Sql) -> exp.Expr:
    """A problem's text after its severity, as `str(RowProblem)` writes it."""
    return joined(f"[{code}]: column `{column}`: ", *message)


def is_blank(text: exp.Expr) -> exp.Expr:
    return any_of(exp.Is(this=text.copy(), expression=exp.Null()), op(exp.EQ, text, ""))
