"""Shared fixtures (the checkout's policy and corpus, the clinic fixture policy, an editable copy of the policy) and
the Hypothesis settings profiles.

`HYPOTHESIS_PROFILE=thorough python -m pytest` runs every property with many more
examples; the default profile (`ci`) keeps the whole suite within a few minutes on
two cores.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
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


EditPolicy = Callable[..., Path]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for a browser test module (which calls `browsers.require_browser()`
    first, so this runs only where a browser can)."""
    from browsers import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def edited_policy(tmp_path: Path) -> EditPolicy:
    """A copy of the checkout's policy with text replaced: edit("rules/connection.yaml", old, new, ...)."""

    def edit(*changes: str) -> Path:
        root = tmp_path / "policy"
        if not root.exists():
            shutil.copytree(CHECKOUT / "policy", root)
        for file, old, new in zip(changes[::3], changes[1::3], changes[2::3], strict=True):
            target = root / file
            text = target.read_text(encoding="utf-8")
            assert old in text, f"{old!r} not in {file}"
            target.write_text(text.replace(old, new, 1), encoding="utf-8")
        return root

    return edit


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the scratch-copy suites of tests/test_policy_is_data.py as soon as they are
    selected: they take minutes, and run beside the rest of the suite at a lower priority."""
    if session.config.option.collectonly:
        return
    selected = [item for item in session.items if item.path.name == "test_policy_is_data.py"]
    if selected:
        module = getattr(selected[0], "module", None)
        if module is not None:
            module.start_early(session.config)
