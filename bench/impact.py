"""Seconds of `billability diff BASE HEAD --records`, against one `billability audit` of the
same rows, both with DuckDB.

Run by hand:  python bench/impact.py [--rows N] [--exports tidy,messy] [--keep DIR]

Generates N synthetic service records shaped like docs/audit/ehr-export.csv, as
bench/bench_audit.py makes them (a tidy export, and a messy one as an EHR's report writer
makes it). HEAD is a copy of the bundled policy with a maintainer's edit
(tests/maintainer_changes.py: advocacy by email needs review); BASE is the bundled
policy. For each export it times, each in its own process:

- `billability diff BASE HEAD --records RECORDS --map docs/audit/mapping.yaml`: every
  row decided under both policies, the pairs counted, the first rows of each change read;
- `billability audit RECORDS --map docs/audit/mapping.yaml` under BASE: every row
  decided once, summed up (no output file);
- the same audit writing every row (`-o OUT.csv`).

Prints each one's wall-clock and CPU seconds and peak memory, and the impact's ratio to
each audit.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_audit import MAPPING, ROOT, generate, generate_messy, timed

sys.path.insert(0, str(ROOT / "tests"))
from maintainer_changes import MissingAnchor, advocacy_by_email_needs_review

BILLABILITY = str(Path(sys.executable).parent / "billability")


def changed_policy(folder: Path) -> Path:
    """A copy of the bundled policy and corpus with the edit made; its policy folder (the
    bundled policy itself, and a note, when the edit no longer applies)."""
    root = folder / "changed"
    for part in ("policy", "corpus"):
        shutil.copytree(ROOT / part, root / part, dirs_exist_ok=True)
    try:
        advocacy_by_email_needs_review(root)
    except MissingAnchor as error:
        print(f"note: {error}; the policy is compared with itself")
    return root / "policy"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--exports", default="tidy,messy", help="comma list of the exports: tidy, messy")
    parser.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    arguments = parser.parse_args()
    folder = arguments.keep or Path(tempfile.mkdtemp(prefix="bench-impact-"))
    folder.mkdir(parents=True, exist_ok=True)
    head = changed_policy(folder)
    try:
        for kind in arguments.exports.split(","):
            bench(kind, folder, arguments.rows, head)
    finally:
        if arguments.keep is None:
            shutil.rmtree(folder)


def bench(kind: str, folder: Path, rows: int, head: Path) -> None:
    records = folder / f"{kind}.csv"
    start = time.perf_counter()
    (generate_messy if kind == "messy" else generate)(records, rows)
    print(
        f"{kind}: generated {rows:,} records ({records.stat().st_size / 1e6:.0f} MB) "
        f"in {time.perf_counter() - start:.1f} s"
    )
    base = str(ROOT / "policy")
    given = [str(records), "--map", str(MAPPING)]
    impact = [BILLABILITY, "diff", base, str(head), "--records", *given]
    audit = [BILLABILITY, "audit", *given, "--policy", base]
    written = [*audit, "-o", str(folder / f"{kind}-audited.csv")]
    measured = {}
    for name, command in (("diff --records", impact), ("audit", audit), ("audit -o OUT.csv", written)):
        # `diff` exits 1 when rows change outcome: that is its answer, not a failure.
        measured[name] = timed(command, allowed=(0, 1) if name == "diff --records" else (0,))
        seconds, cpu, rss = measured[name]
        print(
            f"{kind}: {name}: {seconds:.2f} s wall ({rows / seconds:,.0f} rows/s), {cpu:.2f} s CPU, "
            f"peak RSS {rss:.0f} MB"
        )
    seconds, cpu, _ = measured["diff --records"]
    for name in ("audit", "audit -o OUT.csv"):
        other_seconds, other_cpu, _ = measured[name]
        print(
            f"{kind}: diff --records is {seconds / other_seconds:.2f}x `{name}`'s wall time, "
            f"{cpu / other_cpu:.2f}x its CPU time"
        )


if __name__ == "__main__":
    main()
