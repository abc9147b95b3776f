"""Read the lines of a YAML file around the place where PyYAML stopped.

In: a file's text, and the marks of the error PyYAML raised reading it.
Out: a `MarkedText` (the file's lines and the places the error names, each turned into
a `Location` on demand), the columns a line may line up with (`open_levels`), PyYAML's
tokens up to the error, and the small readings of one line the wording of a syntax
error is made of: its indentation, its key, whether it opens a block, and how a
message names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from billability.model.diagnostics import Location, counted


@dataclass(frozen=True, slots=True)
class MarkedText:
    """The file's lines, and the places PyYAML's error names (line and column from 0)."""

    lines: tuple[str, ...]
    file: str
    problem: str
    context: str
    problem_at: tuple[int, int] | None
    context_at: tuple[int, int] | None

    def line(self, number: int) -> str:
        return self.lines[number] if 0 <= number < len(self.lines) else ""

    def at(self, line: int, column: int) -> Location:
        return Location(self.file, line + 1, column + 1)

    def start_of(self, line: int) -> Location:
        """The first character of a line (its indentation is what is wrong)."""
        return self.at(line, indent_of(self.line(line)))

    def above(self, line: int) -> int | None:
        """The nearest line above that holds more than blanks or a comment."""
        for number in range(line - 1, -1, -1):
            if has_content(self.line(number)):
                return number
        return None


@dataclass(frozen=True, slots=True)
class Level:
    """A column where some line above starts a key, a list item's `-` (`dash`), or the
    key after a list item's `-` (`inside`)."""

    indent: int
    line: int
    dash: bool = False
    inside: bool = False


def open_levels(seen: MarkedText, line: int) -> list[Level]:
    """The columns a line may line up with: the nearest line above, then each line further
    up that is indented less than every line between (a list item gives its `-` and the
    key after it)."""
    levels: list[Level] = []
    limit: int | None = None
    for number in range(line - 1, -1, -1):
        content = seen.line(number)
        if not has_content(content):
            continue
        indent = indent_of(content)
        if limit is not None and indent >= limit:
            continue
        if is_item(content):
            inner = key_column(content)
            if limit is None or inner < limit:
                levels.append(Level(inner, number, inside=True))
            levels.append(Level(indent, number, dash=True))
        else:
            levels.append(Level(indent, number))
        limit = indent
        if indent == 0:
            break
    return levels


def tokens(text: str) -> list[Any]:
    """PyYAML's tokens up to where it stops reading (scanning resolves no types, so the
    safe loader scans as the strict one does)."""
    found: list[Any] = []
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            found.append(token)
    except yaml.YAMLError:
        pass
    return found


def key_column(line: str) -> int:
    """Where a line's key starts: after the `- ` of a list item."""
    indent = indent_of(line)
    if not is_item(line):
        return indent
    rest = line[indent + 1 :]
    return indent + 1 + len(rest) - len(rest.lstrip(" "))


def has_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def is_item(line: str) -> bool:
    stripped = line.lstrip(" ")
    return stripped == "-" or stripped.startswith("- ")


def opens_block(line: str) -> bool:
    """Whether a line ends with a key whose value is on the lines below it."""
    return bool(re.search(r":\s*(#.*)?$", line)) or line.strip() == "-"


def key_of(text: str) -> str | None:
    """The key a line (or its start) gives a value to, if it holds `key: `."""
    match = re.match(r"\s*(?:-\s+)?([^\s:#'\"\[\]{}][^:#]*?):(\s|$)", text)
    return match.group(1).strip() if match else None


def line_name(line: str, inner: bool = False) -> str:
    """A line as a message names it: `topic:` for a key, else its text, shortened."""
    content = line.strip()
    if inner and content.startswith("- "):
        content = content[2:].strip()
    key = key_of(content)
    if key is not None and not content.startswith("- "):
        return f"`{key}:`"
    return f"`{shortened(content)}`"


def quoted_line(line: str, column: int) -> str:
    """The line with the text from `column` on in double quotes (as the hint's example)."""
    head, value = line[:column].strip(), line[column:].strip()
    value = value.replace("\\", "\\\\").replace('"', '\\"')
    return shortened(f'{head} "{value}"'.strip(), 70)


def shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def spaces(count: int) -> str:
    return counted(count, "space")
