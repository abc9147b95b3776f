"""Say what DuckDB could not read in an export, in the user's words, at its line.

In: an error DuckDB raised reading an export, the file's name as shown, and its `Format`.
Out: `located_error`, a `Diagnostic` at `file:line`: a CSV line with too few or too many
cells, a quote never closed, a line that is not UTF-8 text or too long, a JSON value of
another kind than the column's first ones; never more than the start of the line.
"""

from __future__ import annotations

import re

import duckdb

from billability.audit.export_text import SHOWN_LINE, UTF8, encoding_hint, shortened
from billability.audit.formats import Format
from billability.model.diagnostics import Diagnostic, Location, counted

_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
# DuckDB names a JSON line `in line N`, or `in record/value N` while it samples the file.
_JSON_LINE = re.compile(r"in (?:line|record/value) (\d+)")
_JSON_CAST = re.compile(r"Failed to cast value to (\w+): (.*)")
_ORIGINAL_LINE = re.compile(r"Original Line: ?\n?([^\n]*)")
_CELL_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_LINE_SIZE = re.compile(r"Maximum line size of (\d+) bytes exceeded\. Actual Size: ?(\d+) bytes")


def located_error(error: duckdb.Error, shown: str, file_format: Format) -> Diagnostic:
    """A DuckDB reading error as a diagnostic at the line it names, in the user's words;
    the same whatever ends the file's lines, and never more than the start of the line."""
    text = str(error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    pattern = _CSV_LINE if file_format is Format.CSV else _JSON_LINE
    found = pattern.search(text)
    line = int(found.group(1)) if found else 0
    if found and file_format is Format.JSONL and "malformed json" in text.lower():
        line -= 1  # DuckDB counts a malformed JSON line from 2 ("in line 3" is the second)
    if file_format is Format.CSV and found:
        original = _ORIGINAL_LINE.search(text)
        after = text[original.end() :] if original else text[found.end() :]
        counts = _CELL_COUNTS.search(after)
        size = _LINE_SIZE.search(after)
        hint: str | None
        code = "records.malformed"
        if counts:
            what = f"this line has {counted(int(counts.group(2)), 'cell')}; the header has {counts.group(1)}"
            hint = "quote a cell that holds the delimiter; every line needs one cell per column"
        elif "unterminated quote" in after:
            what, hint = "a quoted cell is never closed", 'close the quote, or write `""` for a quote inside a cell'
        elif "invalid unicode" in after.lower():
            # Only a file read as UTF-8 reaches DuckDB undecoded: another is copied as UTF-8.
            code, what, hint = "file.encoding", "this line is not UTF-8 text", encoding_hint(UTF8)
        elif size:
            what = (
                f"this line is {int(size.group(2)):,} bytes long, more than the {int(size.group(1)):,} a line may hold"
            )
            hint = "a cell this long is a mistake of the export, or a quote never closed"
        else:
            shown_line = shortened(original.group(1).strip()) if original else ""
            what = f"cannot read this line: `{shown_line}`" if shown_line else "malformed line"
            hint = None
        return Diagnostic(code, what, Location(shown, line), hint)
    message = lines[0] if lines else "cannot read the file"
    message = re.sub(r"^[A-Za-z ]*Error: ", "", message)
    message = re.sub(r' in file "[^"]*"', "", message)
    message = re.sub(r",? (?:at byte \d+ )?in (?:line|record/value) \d+", "", message).rstrip(". ")
    message = shortened(message if message[1:2].isupper() else message[:1].lower() + message[1:], 2 * SHOWN_LINE)
    if "invalid utf-8" in message.lower():
        return Diagnostic("file.encoding", "this line is not UTF-8 text", Location(shown, line), encoding_hint(UTF8))
    hint = None if found else "check that the file is complete and in the format its name says"
    cast = _JSON_CAST.search(message)
    if cast:
        # DuckDB takes a column's kind from its first lines: a later value of another kind fails.
        kind = "a number" if cast.group(1) == "numerical" else cast.group(1)
        message = f"`{cast.group(2)}` is not {kind}, as the column's first values are"
        hint = "a column's kind is taken from its first lines: write `null` for a value not known, or as they do"
    return Diagnostic(
        "records.unreadable", f"cannot read the file as {file_format}: {message}", Location(shown, line), hint
    )
