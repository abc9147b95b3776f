"""Split the county's reference table into the statements a case can cite.

In: the text of `case-management-billable-activities.txt`.
Out: `Statement`s, in order: the credential note, each activity row of the first
table, and each bullet of the scenarios table (billable and not billable), each
with its topic and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOPICS = ("Connection", "Coordination", "Communication")
_BULLET = "•"
_MARKUP = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class Statement:
    kind: str  # "note", "activity", "billable" or "not_billable"
    topic: str  # "Connection", ... or "" for the note
    text: str
    line: int
    column: int = 1


def statements(text: str) -> list[Statement]:
    """Every citable statement of the source table, each once, in reading order."""
    found: list[Statement] = []
    seen: set[tuple[str, str]] = set()
    section = ""
    topic = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if line.startswith("Note:"):
            text = line.removeprefix("Note:").strip()
            _add(found, seen, Statement("note", "", text, number, _column(line, text)))
            continue
        if line.startswith("Topics\t"):
            section = "activities"
            continue
        if line.startswith("Case Management Activity Scenarios"):
            section = "scenarios"
            continue
        cells = line.split("\t")
        if section == "activities" and len(cells) >= 3 and cells[-1].strip():
            topic = cells[0].strip() or topic
            text = " ".join(cells[-1].split())
            _add(found, seen, Statement("activity", topic, text, number, _column(line, text)))
        elif section == "scenarios" and cells[0].strip() in _TOPICS and len(cells) >= 3:
            for kind, cell in (("billable", cells[1]), ("not_billable", cells[2])):
                for bullet in _bullets(cell):
                    _add(found, seen, Statement(kind, cells[0].strip(), bullet, number, _column(line, bullet)))
    return found


def _column(line: str, text: str) -> int:
    """Where the statement starts in its line, counting from 1 (tabs count as one column)."""
    found = re.search(r"\s+".join(map(re.escape, text.split())), line) if text else None
    return found.start() + 1 if found else 1


def _bullets(cell: str) -> list[str]:
    plain = _MARKUP.sub(" ", cell)
    return [" ".join(part.split()) for part in plain.split(_BULLET)[1:] if part.strip()]


def _add(found: list[Statement], seen: set[tuple[str, str]], statement: Statement) -> None:
    key = (statement.kind, statement.text)
    if key not in seen:
        seen.add(key)
        found.append(statement)
