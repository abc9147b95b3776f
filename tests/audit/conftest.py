"""What the audit's test modules share: a local Spark session and a throwaway PostgreSQL
server, each started once for the whole run, for every module that asks for it.

Where one cannot start (no pyspark or Java; no PostgreSQL server programs or psycopg) the
tests that ask for it are skipped with the reason; in CI (`CI` set) they fail instead, so
CI never passes a test it did not run. tests/conftest.py marks `spark` every test that
asks for the Spark session, so `-m 'not spark'` leaves them out.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from postgres import connect, postgres_cluster, require_postgres


def java() -> str | None:
    """The `java` Spark would start: JAVA_HOME's, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def require_spark() -> None:
    """Skip the calling test (fail it in CI) unless pyspark and Java are there."""
    reason = None
    if importlib.util.find_spec("pyspark") is None:
        reason = "`pyspark` is not installed: pip install -e '.[dev,spark]'"
    elif java() is None:
        reason = "no Java for Spark (JAVA_HOME or `java` on PATH): install Java 17 or later"
    if reason is None:
        return
    if os.environ.get("CI"):
        # In CI the Spark tests must run: a missing Spark or Java is a failure, not a skip.
        pytest.fail(f"the Spark tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local Spark session on two cores, without its web UI or progress bars, shared by
    every module of the run (one JVM)."""
    require_spark()
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("billability-sql")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    # Quiet: Spark's warnings, or for a query too large for its generated code the
    # compiler's long failure before it evaluates the query without it, would fill the
    # captured output; a query that fails raises all the same.
    session.sparkContext.setLogLevel("FATAL")
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A psycopg connection (autocommit) to a throwaway PostgreSQL server on a Unix socket
    in a temporary folder (tests/postgres.py), stopped and removed at the end of the run."""
    require_postgres()
    with postgres_cluster() as cluster:
        connection = connect(cluster)
        try:
            yield connection
        finally:
            connection.close()
