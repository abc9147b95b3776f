"""The two-version fixture checkout (tests/fixtures/versioned): version 1.0 released,
in effect from 2026-01-01, and the current version 2.0, in effect from 2026-07-01. The
switch: a counselor's video call to a provider needs review under 1.0 and is billable
under 2.0. Its corpus holds two dated cases, one on each side of the switch.

In: a folder to copy the checkout into. Out: the copy's root, and a way to edit its
files as a maintainer does (`edit`: the line and column where the new text starts).
"""

from __future__ import annotations

import shutil
from pathlib import Path

VERSIONED = Path(__file__).resolve().parent / "fixtures" / "versioned"

# The scenario whose answer the switch changes, as FACT=VALUE words and as facts.
VIDEO_CALL = {"provider_credential": "counselor", "activity": "provider_call", "contact_mode": "video"}
VIDEO_CALL_WORDS = tuple(f"{fact}={value}" for fact, value in VIDEO_CALL.items())

# A case of the current corpus dated the day before the switch (decided by 1.0).
DATED_BEFORE = "A video call the day before version 2.0 took effect needs review"


def versioned_copy(target: Path) -> Path:
    """A copy of the two-version checkout at `target`."""
    shutil.copytree(VERSIONED, target)
    return target


def edit(file: Path, old: str, new: str) -> tuple[int, int]:
    """Replace `old` once in `file`; the line and column where `new` now starts."""
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {file}"
    start = text.index(old)
    file.write_text(text.replace(old, new), encoding="utf-8")
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1


def add_cases(file: Path, text: str) -> int:
    """`text` (cases, indented as under `cases:`) added at the end of a corpus file; the line where it starts."""
    before = file.read_text(encoding="utf-8")
    file.write_text(before.rstrip("\n") + "\n\n" + text, encoding="utf-8")
    return before.rstrip("\n").count("\n") + 3
