"""The git repositories the history tests run in, made fresh for each test from the
clinic fixture (tests/fixtures/clinic); the edits and commits made in them are in
`history_repos`.

- `repo`: the clinic checkout as a new repository with version 1.0 committed, for
  reading the policy's versions and what each changed.
- `repository`: the clinic checkout committed as it is, on `main`, and the working
  folder, for comparing revisions and the working tree as `billability diff` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from history_repos import clinic_repository, committed_checkout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The clinic checkout as a new git repository with version 1.0 committed."""
    return clinic_repository(tmp_path, monkeypatch)


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The clinic checkout committed on `main` in a fresh repository, which is the working folder."""
    root = committed_checkout(tmp_path / "repo")
    monkeypatch.chdir(root)
    return root
