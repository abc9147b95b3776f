"""The footer line of every page: the policy, its source and the commit the site comes from."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from billability.policy.compiled import Policy
from billability.site.colophon import NOT_A_CHECKOUT, build_commit, footer_line


def git(folder: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.org", *arguments],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    folder = tmp_path / "checkout"
    folder.mkdir()
    git(folder, "init", "-q")
    (folder / "policy.yaml").write_text("policy: {}\n")
    git(folder, "add", "policy.yaml")
    git(folder, "commit", "-q", "-m", "first")
    return folder


def test_the_commit_is_the_checkouts_head(checkout: Path) -> None:
    assert build_commit(checkout, {}) == f"commit {git(checkout, 'rev-parse', '--short', 'HEAD')}"


def test_uncommitted_changes_are_said(checkout: Path) -> None:
    (checkout / "policy.yaml").write_text("policy: {changed: true}\n")
    assert build_commit(checkout, {}).endswith(" with uncommitted changes")


def test_github_sha_wins_when_set(checkout: Path) -> None:
    assert build_commit(checkout, {"GITHUB_SHA": "0123456789abcdef0123"}) == "commit 0123456"


def test_a_folder_outside_git_says_so(tmp_path: Path) -> None:
    assert build_commit(tmp_path, {}) == NOT_A_CHECKOUT


def test_the_footer_names_policy_version_date_source_and_build(clinic: Policy) -> None:
    line = footer_line(clinic, "commit abc1234")
    source = clinic.source_document
    for part in (clinic.title, f"version {clinic.version}", clinic.effective_from, source.title, source.date):
        assert part in line
    assert line.endswith("Built from commit abc1234.")
    assert footer_line(clinic, "commit abc1234") == line
    assert footer_line(clinic, NOT_A_CHECKOUT).endswith("Not built from a git checkout.")
