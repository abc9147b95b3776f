"""Shared fixtures and the Hypothesis settings profiles.

`HYPOTHESIS_PROFILE=thorough python -m pytest` runs every property with many more
examples; the default profile (`ci`) keeps the whole suite within a few minutes on
two cores.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from billability.compile import load_policy
from billability.corpus import Case, load_cases
from billability.model import Policy

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
    return load_policy()


@pytest.fixture(scope="session")
def cases(policy: Policy) -> list[Case]:
    return load_cases(None, policy)
