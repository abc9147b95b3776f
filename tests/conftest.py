"""Shared fixtures (the checkout's policy and corpus, the clinic fixture policy, a browser,
a local Spark session, a throwaway PostgreSQL server) and the Hypothesis settings profiles.

Spark and PostgreSQL start once for the whole run, for every module that asks for them.
Where one cannot start (no pyspark or Java; no PostgreSQL server programs or psycopg) the
tests that ask for it are skipped with the reason; in CI (`CI` set) they fail instead, so
CI never passes a test it did not run.

`HYPOTHESIS_PROFILE=thorough python -m pytest` runs every property with many more
examples; the default profile (`ci`) keeps the whole suite within a few minutes on
two cores.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from billability.checks.corpus import Case, load_cases
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from policy_texts import CHECKOUT, CLINIC
from postgres import connect, postgres_cluster, require_postgres

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The checkout's policy (the one a maintainer edits), not an installed copy."""
    return load_policy(CHECKOUT / "policy")


@pytest.fixture(scope="session")
def cases(policy: Policy) -> list[Case]:
    return load_cases([CHECKOUT / "corpus"], policy)


@pytest.fixture(scope="session")
def clinic() -> Policy:
    """The fixture policy engine tests assert on (tests/fixtures/clinic/policy)."""
    return load_policy(CLINIC / "policy")


@pytest.fixture(scope="session")
def clinic_cases(clinic: Policy) -> list[Case]:
    return load_cases([CLINIC / "corpus"], clinic)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for a browser test module (which calls `browsers.require_browser()`
    first, so this runs only where a browser can)."""
    from browsers import chromium

    with chromium() as launched:
        yield launched


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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "spark: the test runs on the local Spark session (`-m 'not spark'` leaves it out)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `spark` every test that asks for the Spark session by name (a test that asks
    for it from a fixture's parameter carries the mark on that parameter)."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the scratch-copy runs of the selected modules that have them (a module-level
    `start_early`: tests/checks/test_policy_is_data.py, tests/checks/test_maintainer_changes.py) as soon as
    they are selected: they take minutes, and run beside the rest of the suite at a lower
    priority."""
    if session.config.option.collectonly:
        return
    started = set()
    for item in session.items:
        module = getattr(item, "module", None)
        start = getattr(module, "start_early", None)
        if module is not None and callable(start) and module.__name__ not in started:
            started.add(module.__name__)
            start(session.config)
