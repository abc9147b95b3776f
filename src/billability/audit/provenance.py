"""What an audit read and when, for a report that can be filed as evidence.

In: the export's path, the mapping's path (or none, when columns named like the facts
hold them) and the moment the audit started.
Out: a `Provenance`: the time in UTC as ISO 8601, and each file's name and SHA-256,
computed a block at a time so that a file of any size is read in little memory. The
policy, the engine and the row count come with the audit's `Summary`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Bytes read at a time while hashing.
BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class Provenance:
    """The inputs of one audit: `run_at` is None where no time is to be shown (an example
    made again at every build), and `mapping` None where the columns are named like the facts."""

    run_at: str | None
    records: str
    records_sha256: str
    mapping: str | None = None
    mapping_sha256: str | None = None


def sha256_of(path: Path) -> str:
    """The file's SHA-256 as 64 hex digits, read a block at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def utc_timestamp(moment: datetime) -> str:
    """A moment in UTC, to the second, as ISO 8601 (`2026-12-05T19:53:06Z`)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def record_provenance(records: Path, mapping: Path | None, run_at: datetime | None) -> Provenance:
    """The provenance of an audit of `records` through `mapping` started at `run_at`
    (None: no time shown). A naive `run_at` is taken as local time."""
    return Provenance(
        run_at=utc_timestamp(run_at) if run_at is not None else None,
        records=records.name,
        records_sha256=sha256_of(records),
        mapping=mapping.name if mapping is not None else None,
        mapping_sha256=sha256_of(mapping) if mapping is not None else None,
    )
