"""Shared fixtures (the checkout's policy and corpus, the clinic fixture policy, a browser) and
the Hypothesis settings profiles.

`HYPOTHESIS_PROFILE=thorough python -m pytest` runs every property with many more
examples; the default profile (`ci`) keeps the whole suite within a few minutes on
two cores.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from billability.compile import load_policy
from billability.corpus import Case, load_cases
from billability.model import Policy
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for a browser test module (which calls `browsers.require_browser()`
    first, so this runs only where a browser can)."""
    from browsers import chromium

    with chromium() as launched:
        yield launched


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the scratch-copy runs of the selected modules that have them (a module-level
    `start_early`: tests/test_policy_is_data.py, tests/test_maintainer_changes.py) as soon as
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
