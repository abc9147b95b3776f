"""The text of an export: its encoding, its lines and the character between its cells.

In: a file's path and its encoding (any Python knows), or a header's columns.
Out: `copied_as_utf8`, the file as UTF-8 text in a temporary file (`TextCopy`, removed
by `remove`, when no longer used, or when the program ends), read a chunk at a time;
`header_lines`, the lines of a UTF-8 file for Python's csv module; and the words of
the diagnostics about text: a byte that is not text in the encoding raises `Problems`
at its `file:line:column` with a hint naming `--encoding`, a header that seems divided
by another character gets a hint naming `--delimiter`, and a long line is shortened.
"""

from __future__ import annotations

import codecs
import os
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path

from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.resources import shown_path

UTF8 = "utf-8"
COPY_CHUNK = 1 << 20  # bytes decoded at a time when copying a file as UTF-8
SHOWN_LINE = 80  # characters of a line shown in a diagnostic
# Characters that separate the cells of exports often enough to suggest `--delimiter`
# (a comma when another was given).
DELIMITERS = (",", ";", "\t", "|")


class TextCopy:
    """A temporary copy of a file as UTF-8 text, removed by `remove`, when it is no longer
    used, or when the program ends (also on Ctrl-C or an exit by a signal's handler)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._remove = weakref.finalize(self, _remove_file, path)

    def remove(self) -> None:
        self._remove()


def _remove_file(path: Path) -> None:
    path.unlink(missing_ok=True)


def delimiter_option(character: str) -> str:
    """The `--delimiter` option that gives a character."""
    return "--delimiter tab" if character == "\t" else f"--delimiter '{character}'"


def delimiter_hint(columns: Sequence[str]) -> str | None:
    """A hint for a header read as one column that another character seems to divide."""
    if len(columns) != 1:
        return None
    found = [character for character in DELIMITERS if character in columns[0]]
    if not found:
        return None
    best = max(found, key=columns[0].count)
    separated = {",": "commas", "\t": "tabs"}.get(best, f"`{best}`")
    give = "leave out `--delimiter`" if best == "," else f"give `{delimiter_option(best)}`"
    return (
        f"the header reads as one column `{shortened(columns[0])}`; if its cells are separated by {separated}, {give}"
    )


def shortened(text: str, limit: int = SHOWN_LINE) -> str:
    """Text as a diagnostic shows it: its first `limit` characters, then `…` when longer."""
    text = text.replace("\r", "").replace("\n", " ").replace("\t", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def encoding_hint(codec: str) -> str:
    """A hint for a file that is not text in the encoding it was read in."""
    if codec in (UTF8, "utf-8-sig"):
        return "give the encoding it was saved in, e.g. `--encoding cp1252` (Excel on Windows), or save it as UTF-8"
    return "give the encoding it was saved in with `--encoding` (e.g. `utf-8`, `cp1252`, `latin-1`, `utf-16`)"


def encoding_problem(shown: str, codec: str, line: int, column: int, byte: bytes, what: str) -> Problems:
    return Problems(
        [
            Diagnostic(
                "file.encoding",
                f"{what} is not {codec_label(codec)} text: the byte `0x{byte.hex()}` cannot be read",
                Location(shown, line, column),
                encoding_hint(codec),
            )
        ]
    )


def codec_label(codec: str) -> str:
    return "UTF-8" if codec in (UTF8, "utf-8-sig") else codec


def copied_as_utf8(path: Path, codec: str) -> TextCopy:
    """The file copied as UTF-8 text into a temporary file, a chunk at a time; a byte
    that is not text in `codec` raises `Problems` at its line and column."""
    handle, name = tempfile.mkstemp(prefix="billability-", suffix=path.suffix)
    copy = TextCopy(Path(name))
    shown = shown_path(path)
    decoder = codecs.getincrementaldecoder(codec)("strict")
    lines = 0  # line breaks copied so far
    column = 1  # where the next character falls on its line
    try:
        with path.open("rb") as source, os.fdopen(handle, "wb") as target:
            first = True
            while True:
                chunk = source.read(COPY_CHUNK)
                state = decoder.getstate()
                try:
                    text = decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as error:
                    # The text before the byte, decoded again from the same state, places it.
                    before = codecs.getincrementaldecoder(codec)("replace")
                    before.setstate(state)
                    start = max(error.start - len(state[0]), 0)
                    text = before.decode(chunk[:start])
                    if "\n" in text:
                        lines, column = lines + text.count("\n"), len(text) - text.rfind("\n")
                    else:
                        column += len(text)
                    byte = error.object[error.start : error.start + 1]
                    raise encoding_problem(shown, codec, lines + 1, column, byte, "this line") from None
                if first and text:
                    text = text.removeprefix("\ufeff")
                    first = False
                target.write(text.encode(UTF8))
                newline = text.rfind("\n")
                if newline >= 0:
                    lines, column = lines + text.count("\n"), len(text) - newline
                else:
                    column += len(text)
                if not chunk:
                    break
    except OSError as error:
        copy.remove()
        raise Problems(
            [Diagnostic("file.unreadable", f"cannot read the file: {error.strerror}", Location(shown))]
        ) from None
    except BaseException:
        copy.remove()
        raise
    return copy


def header_lines(path: Path, shown: str, codec: str) -> Iterator[str]:
    """The lines of a UTF-8 file, a byte order mark left out, as the csv module asks for
    them; a byte that is not UTF-8 raises `Problems` at its line (`codec` is the file's
    own encoding, named in the hint)."""
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            line = raw.removeprefix(codecs.BOM_UTF8) if number == 1 else raw
            if number == 1 and b"\x00" in line:
                raise Problems(
                    [
                        Diagnostic(
                            "file.encoding",
                            "the header holds zero bytes, as UTF-16 text does",
                            Location(shown, 1),
                            "give `--encoding utf-16` (or `utf-16-le`, `utf-16-be` for a file without a byte order mark)",
                        )
                    ]
                )
            try:
                yield line.decode(UTF8)
            except UnicodeDecodeError as error:
                column = len(line[: error.start].decode(UTF8, "replace")) + 1
                raise encoding_problem(
                    shown, codec, number, column, line[error.start : error.start + 1], "the header"
                ) from None
