"""What the site's test modules share: the clinic fixture's corpus run on its policy, whose
results say which cases the site may show and the contrasts may name."""

from __future__ import annotations

import pytest

from billability.checks.corpus import Case, CaseResult, run_cases
from billability.policy.compiled import Policy


@pytest.fixture(scope="module")
def results(clinic: Policy, clinic_cases: list[Case]) -> list[CaseResult]:
    """The clinic fixture's corpus cases, each run on the clinic's policy."""
    return run_cases(clinic, clinic_cases)
