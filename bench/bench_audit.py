"""Rows per second of `billability audit` end to end, against DuckDB copying the same file.

Run by hand:  python bench/bench_audit.py [--rows N] [--format csv|jsonl|parquet] [--keep DIR]

Generates N synthetic service records shaped like docs/audit/ehr-export.csv (codes
drawn from docs/audit/mapping.yaml, some blank cells, a few unknown codes) as CSV,
then times, each in its own process:

- `billability audit RECORDS --map docs/audit/mapping.yaml -o OUT --engine E` for each
  engine (duckdb, python): read, map, decide every row, write every row with its
  decision, print the summary;
- as a baseline, DuckDB copying the same CSV (all columns as text) to the same output
  format with no decision at all.

Prints rows/s of each (wall clock and CPU time), each engine's ratio to the copy, and
each process's peak resident memory.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "docs" / "audit" / "mapping.yaml"
COLUMNS = (
    "service_id",
    "service_date",
    "client_id",
    "staff_name",
    "staff_credential",
    "program",
    "procedure",
    "service_type",
    "contact_method",
    "contact_outcome",
    "medical_necessity",
    "progress_note",
    "discharge_date",
    "minutes",
)
CONTACT_SERVICES = {
    "Warm Handoff",
    "LOC Transition",
    "Care Coordination - Health",
    "Care Coordination - Social Services",
    "Provider Communication",
    "Service Follow-up",
    "Advocacy",
}
PROGRAMS = ("Outpatient North", "Outpatient Central", "Intensive Outpatient", "Residential Step-down")


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """N records; the codes come from the example mapping, so nearly every row is readable."""
    codes = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))["facts"]

    def listed(fact: str) -> list[str]:
        return [str(code) for code in codes[fact]["codes"]]

    credentials = [*listed("provider_credential"), "RN"]  # one code the mapping does not know
    services = listed("activity")
    methods = listed("contact_method" if "contact_method" in codes else "contact_mode")
    reached = listed("contact_successful")
    staff = {f"Staff {i:03d}": random.Random(i).choice(credentials[:-1]) for i in range(1, 301)}
    names = sorted(staff)
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(COLUMNS)
        for i in range(1, rows + 1):
            name = rng.choice(names)
            service = rng.choice(services)
            handoff = service == "Warm Handoff"
            # Only activities with a contact have a contact method and outcome, as in a real export.
            contact = service in CONTACT_SERVICES
            served = datetime.date(2026, 10, rng.randint(1, 31))
            # A hand-off's client was discharged before it, is discharged after it, or is enrolled.
            discharged = served + datetime.timedelta(days=rng.choice((-rng.randint(0, 40), 5)))
            discharge = (
                f"{discharged.month}/{discharged.day}/{discharged.year}" if handoff and rng.random() < 0.8 else ""
            )
            writer.writerow(
                (
                    f"SVC-{i:08d}",
                    f"{served.month}/{served.day}/{served.year}",
                    f"C{rng.randint(1, 5000):05d}",
                    name,
                    "RN" if rng.random() < 0.001 else ("" if rng.random() < 0.02 else staff[name]),
                    rng.choice(PROGRAMS),
                    "Case Management" if rng.random() < 0.95 else "Group Counseling",
                    service,
                    rng.choice(methods) if contact and rng.random() < 0.97 else "",
                    rng.choice(reached) if contact and rng.random() < 0.95 else "",
                    rng.choice("YN") if handoff else "",
                    rng.choice("YN") if handoff else "",
                    discharge,
                    str(rng.choice((8, 10, 15, 20, 30, 45, 60))),
                )
            )


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall-clock seconds, CPU seconds (user + system) and peak resident MB of a command in
    its own process. CPU time is what the command costs; on a busy machine the wall clock
    also counts waiting."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} exited {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def audit_command(records: Path, output: Path, engine: str) -> list[str]:
    billability = str(Path(sys.executable).parent / "billability")
    return [
        *(billability, "audit", str(records), "--map", str(MAPPING), "-o", str(output)),
        *("--engine", engine, "--policy", str(ROOT / "policy")),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv", help="the output format")
    parser.add_argument("--engines", default="duckdb,python", help="comma list of the engines to time")
    parser.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    arguments = parser.parse_args()
    folder = arguments.keep or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    folder.mkdir(parents=True, exist_ok=True)
    records = folder / "records.csv"
    start = time.perf_counter()
    generate(records, arguments.rows)
    print(
        f"generated {arguments.rows:,} records ({records.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.1f} s"
    )
    rows = arguments.rows
    copied = folder / f"copied.{arguments.format}"
    options = {"csv": "(HEADER)", "jsonl": "(FORMAT json)", "parquet": "(FORMAT parquet)"}[arguments.format]
    baseline = (
        "import duckdb, sys; duckdb.connect().execute("
        f"\"COPY (SELECT * FROM read_csv(?, all_varchar = true, header = true)) TO '{copied}' {options}\", "
        f"[{str(records)!r}])"
    )
    copy_seconds, copy_cpu, copy_rss = timed([sys.executable, "-c", baseline])
    print(
        f"duckdb copy, no decision: {copy_seconds:.2f} s wall ({rows / copy_seconds:,.0f} rows/s), "
        f"{copy_cpu:.2f} s CPU ({rows / copy_cpu:,.0f} rows/s), peak RSS {copy_rss:.0f} MB"
    )
    written = [records, copied]
    # The fixed cost of a run (starting Python, reading the policy, compiling it): the same
    # audit of the first record alone, subtracted to give each engine's cost per row.
    single = folder / "one-record.csv"
    with records.open(encoding="utf-8") as source:
        single.write_text(source.readline() + source.readline(), encoding="utf-8")
    written.append(single)
    for engine in arguments.engines.split(","):
        audited = folder / f"audited-{engine}.{arguments.format}"
        written.append(audited)
        seconds, cpu, rss = timed(audit_command(records, audited, engine))
        fixed, _, _ = timed(audit_command(single, folder / f"one-{engine}.{arguments.format}", engine))
        written.append(folder / f"one-{engine}.{arguments.format}")
        print(
            f"audit --engine {engine}: {seconds:.2f} s wall ({rows / seconds:,.0f} rows/s), "
            f"{cpu:.2f} s CPU ({rows / cpu:,.0f} rows/s), peak RSS {rss:.0f} MB; "
            f"{seconds / copy_seconds:.2f}x the copy's wall time, {cpu / copy_cpu:.2f}x its CPU time; "
            f"fixed cost {fixed:.2f} s (one record), {(seconds - fixed) / copy_seconds:.2f}x the copy without it"
        )
    if arguments.keep is None:
        for path in written:
            path.unlink(missing_ok=True)
        folder.rmdir()


if __name__ == "__main__":
    main()
