"""Located diagnostics shared by every stage.

In: a code, a message in the user's words, a location and maybe a hint.
Out: `Diagnostic` values that sort by location and render as
`file:line:col: error[code]: message` lines; `Problems`, the one error type
a stage raises with all of its diagnostics at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file; `line` and `column` count from 1. Line 0 is the file as a whole;
    a location made with a line and no column is that whole line (a record of an export,
    say), shown as `file:line`."""

    file: str
    line: int = 0
    column: int | None = None

    def __str__(self) -> str:
        if not self.line:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    location: Location | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location or Location("")
        # A whole file sorts before its lines, a whole line before its columns.
        return (loc.file, loc.line, 0 if loc.column is None else loc.column, self.code)

    def render(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity}[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class Problems(Exception):
    """Raised by a stage that found problems; carries every one, sorted by location."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        super().__init__("\n".join(d.render() for d in self.diagnostics))


class ScenarioError(Problems):
    """A scenario names a fact the policy does not declare, or gives a value it does not allow."""


def shown(value: Any) -> str:
    """A value as a message quotes it."""
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, str):
        return f"the text `{value}`"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a mapping"
    return f"`{value}`"


def counted(count: int, noun: str, thousands: bool = False) -> str:
    """How many of a thing, as a summary line says it: `1 error`, `2 errors`, and with
    `thousands` a comma between them (`1,024 rows`)."""
    number = f"{count:,}" if thousands else str(count)
    return f"{number} {noun}{'' if count == 1 else 's'}"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice, or None when nothing is close."""
    listed = list(choices)
    close = difflib.get_close_matches(word, listed, n=1, cutoff=0.6)
    if not close and len(word) >= 3:
        # A short form of a long name (`peer` for `peer_support_specialist`) is no typo.
        close = [choice for choice in listed if choice.startswith(word)][:1]
    return f"did you mean `{close[0]}`?" if close else None


def one_of(choices: Iterable[str]) -> str:
    """A hint listing the allowed choices."""
    return "allowed: " + ", ".join(f"`{c}`" for c in choices)


def hint_for(word: str, choices: Iterable[str]) -> str:
    """`did you mean` when a choice is close, otherwise the list of allowed choices."""
    listed = list(choices)
    return did_you_mean(word, listed) or one_of(listed)
