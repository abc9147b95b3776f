"""What every test folder shares: the checkout's policy and corpus, the clinic fixture
policy, either of them (`any_policy`), and the Hypothesis settings profiles; the `spark`
mark on every test that asks for the local Spark session (tests/audit/conftest.py starts
it), and the early start of the slow scratch-copy runs.

Each folder's own conftest.py holds the fixtures only its modules use (tests/browser: the
browser and the built site; tests/audit: Spark and PostgreSQL; tests/site: the clinic's
corpus results).

`HYPOTHESIS_PROFILE=thorough python -m pytest` runs every property with many more
examples; the default profile (`ci`) keeps the whole suite within a few minutes on
two cores.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from billability.checks.corpus import Case, load_cases
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from policy_texts import CHECKOUT, CLINIC

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


@pytest.fixture(params=["clinic", "policy"])
def any_policy(request: pytest.FixtureRequest) -> Policy:
    """The clinic fixture, then the checkout's policy: an engine must be exact on whatever
    policy a maintainer writes."""
    loaded: Policy = request.getfixturevalue(request.param)
    return loaded


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
