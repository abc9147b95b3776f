"""Shared fixtures: the bundled policy, and an editable copy of it in a temporary folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from billability import Policy, load_policy
from billability.resources import policy_dir


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


EditPolicy = Callable[..., Path]


@pytest.fixture
def edited_policy(tmp_path: Path) -> EditPolicy:
    """A copy of the bundled policy with text replaced: edit("rules/connection.yaml", old, new, ...)."""

    def edit(*changes: str) -> Path:
        root = tmp_path / "policy"
        if not root.exists():
            shutil.copytree(policy_dir(), root)
        for file, old, new in zip(changes[::3], changes[1::3], changes[2::3], strict=True):
            target = root / file
            text = target.read_text(encoding="utf-8")
            assert old in text, f"{old!r} not in {file}"
            target.write_text(text.replace(old, new, 1), encoding="utf-8")
        return root

    return edit
