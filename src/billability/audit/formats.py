"""The formats an export or an output file is written in, told from the file's name.

In: a path, and maybe the format the user gives (`--format`).
Out: its `Format` (CSV, JSON Lines or Parquet; `format_of`), or `Problems` when the
name's extension says none of them (`EXTENSIONS`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from billability.model.diagnostics import Diagnostic, Location, Problems, one_of
from billability.model.resources import shown_path


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"


EXTENSIONS = {
    ".csv": Format.CSV,
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".json": Format.JSONL,
    ".parquet": Format.PARQUET,
    ".pq": Format.PARQUET,
}


def format_of(path: Path, given: str | None = None, role: str = "input") -> Format:
    """The format of a file: `given`, else its extension."""
    if given is not None:
        return Format(given)
    suffix = path.suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise Problems(
        [
            Diagnostic(
                "records.format",
                f"cannot tell the {role} format from the name `{path.name}`",
                Location(shown_path(path)),
                hint=f"name the file with {one_of(sorted(EXTENSIONS))}"
                + (", or give `--format`" if role == "input" else ""),
            )
        ]
    )
