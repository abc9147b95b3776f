"""Read a date cell in SQL as `dates.read_date` reads it, and count its days.

In: the SQL of a trimmed date cell's text and the name of its format
(`dates.DATE_FORMATS`).
Out: `DateCell.of`: whether the cell is blank, whether it is unreadable (neither blank
nor a date: a shape that does not fit, or a day the calendar lacks), and its day number.
Dates are taken apart by position as `dates.DATE_FORMATS` shapes them, their parts cast
to numbers only under a CASE that found digits there, the day checked against its
month's length with leap years, and counted by integer arithmetic (days from the civil
calendar), so every engine counts the days `dates.read_date` counts; `civil_day` is
a date's day number, to compare a cell's day with.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlglot import exp

from billability.audit.dates import DATE_FORMATS
from billability.audit.sql_pieces import (
    DIGITS,
    Sql,
    all_of,
    any_of,
    as_sql,
    case,
    in_,
    is_blank,
    length_of,
    not_,
    op,
    replaced,
    substring,
    trim,
)


@dataclass(frozen=True, slots=True)
class DateCell:
    """A trimmed date cell read in a format as `dates.read_date` reads it: blank,
    unreadable (neither blank nor a date), and its day number (to be used only where it
    is a date: its parts are cast to numbers only there)."""

    text: exp.Expr
    blank: exp.Expr
    unreadable: exp.Expr
    day: exp.Expr

    @staticmethod
    def of(text: exp.Expr, format_name: str) -> DateCell:
        shape, length = DATE_FORMATS[format_name], length_of(text)
        places: list[tuple[Sql, Sql]]
        if shape.order[0] == "y":  # yyyy-mm-dd
            separator, places = "-", [(1, 4), (6, 2), (9, 2)]
            fits = [
                op(exp.EQ, length, 10),
                op(exp.EQ, substring(text, 5, 1), "-"),
                op(exp.EQ, substring(text, 8, 1), "-"),
            ]
        else:  # one or two digits, a slash, one or two digits, a slash, four digits
            first = case([(op(exp.EQ, substring(text, 2, 1), "/"), 1)], 2)
            second = op(exp.Sub, op(exp.Sub, length, first), 6)
            separator, places = "/", [(1, first), (op(exp.Add, first, 2), second), (op(exp.Sub, length, 3), 4)]
            fits = [
                in_(op(exp.Sub, length, first), 7, 8),
                op(exp.EQ, substring(text, op(exp.Add, first, 1), 1), "/"),
                op(exp.EQ, substring(text, op(exp.Sub, length, 4), 1), "/"),
            ]
        digits = replaced(text, separator, "")
        fits += [op(exp.EQ, length_of(digits), op(exp.Sub, length, 2)), op(exp.EQ, trim(digits, DIGITS), "")]
        parts = [exp.Cast(this=substring(text, start, size), to=exp.DataType.build("INT")) for start, size in places]
        y, m, d = (dict(zip(shape.order, parts, strict=True))[part] for part in "ymd")
        leap = all_of(
            op(exp.EQ, op(exp.Mod, y, 4), 0),
            any_of(op(exp.NEQ, op(exp.Mod, y, 100), 0), op(exp.EQ, op(exp.Mod, y, 400), 0)),
        )
        month_days = case([(op(exp.EQ, m, 2), case([(leap, 29)], 28)), (in_(m, 4, 6, 9, 11), 30)], 31)
        valid = all_of(  # Python has no year 0
            op(exp.GTE, y, 1),
            exp.Between(this=as_sql(m), low=as_sql(1), high=as_sql(12)),
            exp.Between(this=as_sql(d), low=as_sql(1), high=month_days),
        )
        blank = is_blank(text)
        unreadable = all_of(not_(blank), not_(case([(all_of(*fits), valid)], exp.false())))
        # Days from the civil calendar, in years starting in March so that a leap day is
        # a year's last; the years are 1 to 9999, so nothing divided is below zero.
        year = op(exp.Sub, y, case([(op(exp.LTE, m, 2), 1)], 0))
        month = op(exp.Mod, exp.paren(op(exp.Add, m, 9)), 12)
        terms = [
            op(exp.Mul, 365, exp.paren(year)),
            *(
                op(exp.Mul, sign, exp.IntDiv(this=exp.paren(year), expression=as_sql(by)))
                for sign, by in ((1, 4), (-1, 100), (1, 400))
            ),
            exp.IntDiv(this=exp.paren(op(exp.Add, op(exp.Mul, 153, month), 2)), expression=as_sql(5)),
            d,
        ]
        day = terms[0]
        for term in terms[1:]:
            day = op(exp.Add, day, term)
        return DateCell(text, blank, unreadable, day)


def civil_day(day: datetime.date) -> int:
    """A date's day number as `DateCell.day` counts it."""
    year = day.year - (1 if day.month <= 2 else 0)
    month = (day.month + 9) % 12
    return 365 * year + year // 4 - year // 100 + year // 400 + (153 * month + 2) // 5 + day.day
