"""The policy's query on local Spark, against Spark copying the same records.

Run by hand:  python bench/bench_spark.py [--rows N] [--input csv|parquet] [--repeat K]
                                          [--query FILE] [--keep DIR]

Needs pyspark (the `spark` extra) and Java 17 or later. Generates N messy service
records shaped like docs/audit/ehr-export.csv, as bench/bench_audit.py makes them (a
byte order mark, CRLF line ends, codes in other cases or padded with spaces, unknown
codes, dates that are no dates), as CSV, and with `--input parquet` converts them to
Parquet first (untimed). Then, on a local Spark session of two cores, it times:

- (a) the baseline: `spark.read` of the records, `.write` of them as Parquet, no decision;
- (b) the audit: `spark.read` of the same records, shown to Spark as the table
  `ehr_export`, the policy's query over it, `.write` of the result as Parquet. The query
  is the one `billability sql --dialect spark --map docs/audit/mapping.yaml --table
  ehr_export` writes (`--query FILE` times a query file instead).

Prints each time (the best of `--repeat` runs, after a first read that warms Spark up),
the part of (b) Spark spends parsing and analysing the query (a fixed cost, whatever
the rows), the ratio b/a, and the rows in and out of each (every record must come out
once).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_audit import MAPPING, ROOT, generate_messy

TABLE = "ehr_export"


def the_query(query_file: Path | None) -> str:
    """The query to time: the policy's under the example mapping, or a file's."""
    if query_file is not None:
        return query_file.read_text(encoding="utf-8")
    from billability.audit.mapping import load_mapping
    from billability.audit.sql import policy_sql
    from billability.policy.compile import load_policy

    policy = load_policy(ROOT / "policy")
    return policy_sql(policy, TABLE, "spark", mapping=load_mapping(MAPPING, policy, None))


def spark_session():  # type: ignore[no-untyped-def]
    """A local Spark session on two cores, without its web UI or progress bars."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("billability-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "2g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def best_of(repeat: int, run: Callable[[], None]) -> float:
    """The shortest wall-clock seconds of `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="how many records (default 1,000,000)")
    parser.add_argument("--input", choices=("csv", "parquet"), default="csv", help="the records' format")
    parser.add_argument("--repeat", type=int, default=1, help="time each run this many times, keep the best")
    parser.add_argument("--query", type=Path, default=None, help="time this query file instead of the policy's")
    parser.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    arguments = parser.parse_args()
    folder = arguments.keep or Path(tempfile.mkdtemp(prefix="bench-spark-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        bench(folder, arguments.rows, arguments.input, arguments.repeat, the_query(arguments.query))
    finally:
        if arguments.keep is None:
            shutil.rmtree(folder)


def bench(folder: Path, rows: int, input_format: str, repeat: int, query: str) -> None:
    records = folder / "messy.csv"
    start = time.perf_counter()
    generate_messy(records, rows)
    print(
        f"generated {rows:,} messy records ({records.stat().st_size / 1e6:.0f} MB CSV) in {time.perf_counter() - start:.1f} s"
    )
    spark = spark_session()
    try:

        def read():  # type: ignore[no-untyped-def]
            # Every column as text, as the export writes it; a blank cell comes as NULL.
            if input_format == "parquet":
                return spark.read.parquet(str(folder / "messy.parquet"))
            return spark.read.csv(str(records), header=True, inferSchema=False, encoding="UTF-8")

        if input_format == "parquet":
            spark.read.csv(str(records), header=True).write.mode("overwrite").parquet(str(folder / "messy.parquet"))
        rows_in = read().count()  # also warms Spark up
        copied, audited = folder / "copied.parquet", folder / "audited.parquet"

        def copy() -> None:
            read().write.mode("overwrite").parquet(str(copied))

        planning: list[float] = []

        def audit() -> None:
            read().createOrReplaceTempView(TABLE)
            start = time.perf_counter()
            decided = spark.sql(query)  # Spark parses and analyses the query here
            planning.append(time.perf_counter() - start)
            decided.write.mode("overwrite").parquet(str(audited))

        copy_seconds = best_of(repeat, copy)
        audit_seconds = best_of(repeat, audit)
        copied_rows = spark.read.parquet(str(copied)).count()
        result = spark.read.parquet(str(audited))
        audited_rows = result.count()
        print(f"(a) read {input_format}, write Parquet: {copy_seconds:.2f} s; {rows_in:,} rows in, {copied_rows:,} out")
        print(
            f"(b) read {input_format}, the policy's query, write Parquet: {audit_seconds:.2f} s; "
            f"{rows_in:,} rows in, {audited_rows:,} out; of which {min(planning):.2f} s reading the query"
        )
        print(f"b/a: {audit_seconds / copy_seconds:.2f}")
        if "outcome" in result.columns:
            counts = result.groupBy("outcome").count().orderBy("outcome").collect()
            print("outcomes: " + ", ".join(f"{row['outcome']} {row['count']:,}" for row in counts))
        if not rows_in == copied_rows == audited_rows:
            sys.exit("a run did not write one row for every record")
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
