"""Rows per second of `billability audit` end to end, against DuckDB copying the same file.

Run by hand:  python bench/bench_audit.py [--rows N] [--exports tidy,messy]
                                          [--format csv|jsonl|parquet] [--keep DIR]
                                          [--map MAPPING] [--policy FOLDER]

Generates N synthetic service records shaped like docs/audit/ehr-export.csv (codes
drawn from docs/audit/mapping.yaml, some blank cells, a few unknown codes) as CSV:
a tidy export, and a messy one as an EHR's report writer makes it (a byte order mark,
CRLF line ends, lowercase and padded codes, unknown codes, a discharge date filled on
most rows and now and then a date that is no date: a few percent of the fact cells
cannot be read). For each export it times, each in its own process:

- `billability audit RECORDS --map docs/audit/mapping.yaml -o OUT --engine E` for each
  engine (duckdb, python): read, map, decide every row, write every row with its
  decision, print the summary;
- as a baseline, DuckDB copying the same CSV (all columns as text) to the same output
  format with no decision at all.

`--map` and `--policy` audit with another mapping and policy: a mapping with a
`service_date:` and a policy folder with released versions time the audit deciding
each row by the version in force on its date.

Prints rows/s of each (wall clock and CPU time), each engine's ratio to the copy of
the same file in the same run, and each process's peak resident memory.
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


MESSY_CODES = ("RN", "Fax", "TBD", "Unknown", "?")


def generate_messy(path: Path, rows: int, seed: int = 2) -> None:
    """N records of the tidy kind, then roughed up as a report writer exports them."""
    tidy = path.with_name(path.stem + "-tidy.csv")
    generate(tidy, rows, seed)
    rng = random.Random(seed)
    coded = [
        COLUMNS.index(c) for c in ("staff_credential", "procedure", "service_type", "contact_method", "contact_outcome")
    ]
    yes_no = [COLUMNS.index(c) for c in ("medical_necessity", "progress_note")]
    service, discharge = COLUMNS.index("service_date"), COLUMNS.index("discharge_date")
    with tidy.open(encoding="utf-8", newline="") as source, path.open("w", encoding="utf-8", newline="") as file:
        file.write("\ufeff")
        writer = csv.writer(file, lineterminator="\r\n")
        reader = csv.reader(source)
        writer.writerow(next(reader))
        for row in reader:
            for index in coded:
                if not row[index]:
                    continue
                roll = rng.random()
                if roll < 0.03:
                    row[index] = row[index].lower()
                elif roll < 0.06:
                    row[index] = f"  {row[index]} "
                elif roll < 0.07:
                    row[index] = rng.choice(MESSY_CODES)
            for index in yes_no:
                roll = rng.random()
                if roll < 0.02:
                    row[index] = rng.choice(("maybe", "y", "n", "Yes", "U"))
            # The report writer fills the client's discharge date on every row it knows it,
            # and now and then a date that is no date.
            if not row[discharge] and rng.random() < 0.6:
                discharged = datetime.date(2026, 9, 1) + datetime.timedelta(days=rng.randint(0, 90))
                row[discharge] = f"{discharged.month}/{discharged.day}/{discharged.year}"
            for index in (service, discharge):
                if row[index] and rng.random() < 0.01:
                    row[index] = rng.choice(("2/30/2026", "TBD", "2026-10-08", "10/8"))
            writer.writerow(row)
    tidy.unlink()


def timed(command: list[str], allowed: tuple[int, ...] = (0,)) -> tuple[float, float, float]:
    """Wall-clock seconds, CPU seconds (user + system) and peak resident MB of a command in
    its own process, which must exit with one of `allowed`. CPU time is what the command
    costs; on a busy machine the wall clock also counts waiting."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in allowed:
        raise SystemExit(f"{command[0]} exited {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


AUDITED_WITH = {"mapping": MAPPING, "policy": ROOT / "policy"}


def audit_command(records: Path, output: Path, engine: str) -> list[str]:
    billability = str(Path(sys.executable).parent / "billability")
    return [
        *(billability, "audit", str(records), "--map", str(AUDITED_WITH["mapping"]), "-o", str(output)),
        *("--engine", engine, "--policy", str(AUDITED_WITH["policy"])),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--exports", default="tidy,messy", help="comma list of the exports: tidy, messy")
    parser.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv", help="the output format")
    parser.add_argument("--engines", default="duckdb,python", help="comma list of the engines to time")
    parser.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    parser.add_argument(
        "--map", type=Path, default=MAPPING, help="the mapping to audit with (e.g. with a service date)"
    )
    parser.add_argument("--policy", type=Path, default=ROOT / "policy", help="the policy folder (e.g. with releases)")
    arguments = parser.parse_args()
    AUDITED_WITH.update(mapping=arguments.map.resolve(), policy=arguments.policy.resolve())
    folder = arguments.keep or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind in arguments.exports.split(","):
        written += bench(kind, folder, arguments.rows, arguments.format, arguments.engines.split(","))
    if arguments.keep is None:
        for path in written:
            path.unlink(missing_ok=True)
        folder.rmdir()


def bench(kind: str, folder: Path, rows: int, output_format: str, engines: list[str]) -> list[Path]:
    """Time the copy and each engine on one export; the files written."""
    records = folder / f"{kind}.csv"
    start = time.perf_counter()
    (generate_messy if kind == "messy" else generate)(records, rows)
    print(
        f"{kind}: generated {rows:,} records ({records.stat().st_size / 1e6:.0f} MB) "
        f"in {time.perf_counter() - start:.1f} s"
    )
    copied = folder / f"{kind}-copied.{output_format}"
    options = {"csv": "(HEADER)", "jsonl": "(FORMAT json)", "parquet": "(FORMAT parquet)"}[output_format]
    baseline = (
        "import duckdb, sys; duckdb.connect().execute("
        f"\"COPY (SELECT * FROM read_csv(?, all_varchar = true, header = true)) TO '{copied}' {options}\", "
        f"[{str(records)!r}])"
    )
    copy_seconds, copy_cpu, copy_rss = timed([sys.executable, "-c", baseline])
    print(
        f"{kind}: duckdb copy, no decision: {copy_seconds:.2f} s wall ({rows / copy_seconds:,.0f} rows/s), "
        f"{copy_cpu:.2f} s CPU ({rows / copy_cpu:,.0f} rows/s), peak RSS {copy_rss:.0f} MB"
    )
    written = [records, copied]
    # The fixed cost of a run (starting Python, reading the policy, compiling it): the same
    # audit of the first record alone, subtracted to give each engine's cost per row.
    single = folder / f"{kind}-one-record.csv"
    with records.open(encoding="utf-8", newline="") as source:
        single.write_text(source.readline() + source.readline(), encoding="utf-8", newline="")
    written.append(single)
    for engine in engines:
        audited = folder / f"{kind}-audited-{engine}.{output_format}"
        written.append(audited)
        seconds, cpu, rss = timed(audit_command(records, audited, engine))
        one = folder / f"{kind}-one-{engine}.{output_format}"
        fixed, _, _ = timed(audit_command(single, one, engine))
        written.append(one)
        print(
            f"{kind}: audit --engine {engine}: {seconds:.2f} s wall ({rows / seconds:,.0f} rows/s), "
            f"{cpu:.2f} s CPU ({rows / cpu:,.0f} rows/s), peak RSS {rss:.0f} MB; "
            f"{seconds / copy_seconds:.2f}x the copy's wall time, {cpu / copy_cpu:.2f}x its CPU time; "
            f"fixed cost {fixed:.2f} s (one record), {(seconds - fixed) / copy_seconds:.2f}x the copy without it"
        )
    return written


if __name__ == "__main__":
    main()
