"""Read the dates of an export as the mapping declares them written.

In: a cell of a date column (text, or a date the file format typed already) and the
name of its format (`yyyy-mm-dd`, `m/d/yyyy`, `d/m/yyyy`).
Out: `read_date`: the date, None for a blank cell, or `UNREADABLE` when the cell is no
date written in that format (a shape that does not fit, or a day the calendar lacks,
such as `2/30/2026`). `DATE_FORMATS` gives each format's pattern and the order of its
parts, which the DuckDB engine reads with the same pattern.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class DateFormat:
    """A way of writing dates: a pattern whose three groups are the parts in `order`
    (`y`, `m`, `d`), the same as `strptime` codes, and an example for hints."""

    name: str
    pattern: str
    order: tuple[str, str, str]
    strptime: str
    example: str


DATE_FORMATS: Final = {
    f.name: f
    for f in (
        DateFormat("yyyy-mm-dd", r"([0-9]{4})-([0-9]{2})-([0-9]{2})", ("y", "m", "d"), "%Y-%m-%d", "2026-10-08"),
        DateFormat("m/d/yyyy", r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", ("m", "d", "y"), "%m/%d/%Y", "10/8/2026"),
        DateFormat("d/m/yyyy", r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", ("d", "m", "y"), "%d/%m/%Y", "8/10/2026"),
    )
}
_COMPILED = {name: re.compile(f.pattern + r"\Z") for name, f in DATE_FORMATS.items()}


class _Unreadable:
    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE: Final = _Unreadable()


def read_date(cell: Any, format_name: str) -> datetime.date | _Unreadable | None:
    """The date in a cell (see the module docstring)."""
    if cell is None:
        return None
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    text = str(cell).strip()
    if not text:
        return None
    found = _COMPILED[format_name].match(text)
    if found is None:
        return UNREADABLE
    parts = dict(zip(DATE_FORMATS[format_name].order, map(int, found.groups()), strict=True))
    try:
        return datetime.date(parts["y"], parts["m"], parts["d"])
    except ValueError:
        return UNREADABLE
