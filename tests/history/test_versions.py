"""The versions of a policy in git history: one release per version, oldest first, each
its last commit that compiles; the state before versions were numbered; commits that do
not compile; uncommitted edits; and why there is no history outside a full git clone.
Every repository is made by the test from the clinic fixture."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from billability import Outcome, load_policy
from billability.history.versions import NO_COMMITS, NOT_A_CHECKOUT, SHALLOW, History, read_history
from history_repos import (
    BROKEN,
    REWORDED,
    VIDEO_NOT_BILLABLE,
    WINDOW_21,
    apply,
    clinic_repository,
    commit,
    release,
    set_version,
    short_head,
)
from policy_texts import CLINIC, git


def history(root: Path) -> History:
    return read_history(root / "policy", load_policy(root / "policy"))


def video_outcome(found: History, index: int) -> Outcome:
    policy = found.releases[index].policy
    return policy.evaluate(
        {"provider_credential": "counselor", "activity": "provider_call", "contact_mode": "video"}
    ).outcome


def test_one_release_per_version_oldest_first(repo: Path) -> None:
    release(repo, "1.1", "2027-01-01", *VIDEO_NOT_BILLABLE)
    release(repo, "1.2", "2027-02-01", *WINDOW_21)
    found = history(repo)
    assert [(r.version, r.effective_from) for r in found.releases] == [
        ("1.0", "2026-12-01"),
        ("1.1", "2027-01-01"),
        ("1.2", "2027-02-01"),
    ]
    assert [video_outcome(found, i) for i in range(3)] == [
        Outcome.NEEDS_REVIEW,
        Outcome.NOT_BILLABLE,
        Outcome.NOT_BILLABLE,
    ]
    assert found.unavailable is None and found.unreleased is None and not found.skipped


def test_a_version_is_its_last_commit(repo: Path) -> None:
    release(repo, "1.1", "2027-01-01", *WINDOW_21)
    apply(repo, *VIDEO_NOT_BILLABLE)
    commit(repo, "More of version 1.1")
    found = history(repo)
    assert [r.version for r in found.releases] == ["1.0", "1.1"]
    assert found.releases[-1].commit.startswith(short_head(repo))
    assert video_outcome(found, 1) is Outcome.NOT_BILLABLE


def test_commits_before_versions_are_one_unversioned_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = clinic_repository(tmp_path, monkeypatch, version=None)
    apply(root, *VIDEO_NOT_BILLABLE)
    commit(root, "Still without a version")
    unversioned = short_head(root)
    release(root, "1.0", "2026-12-01", *REWORDED)
    found = history(root)
    assert [(r.version, r.effective_from) for r in found.releases] == [(None, None), ("1.0", "2026-12-01")]
    assert found.releases[0].commit.startswith(unversioned)
    assert video_outcome(found, 0) is Outcome.NOT_BILLABLE
    assert not found.skipped


def test_a_commit_that_does_not_compile_is_skipped(repo: Path) -> None:
    release(repo, "1.1", "2027-01-01", *VIDEO_NOT_BILLABLE)
    good = short_head(repo)
    apply(repo, *BROKEN)
    commit(repo, "A typo")
    broken = short_head(repo)
    git(repo, "checkout", "-q", "HEAD~1", "--", "policy")
    found = history(repo)
    assert found.releases[-1].version == "1.1" and found.releases[-1].commit.startswith(good)
    (skipped,) = found.skipped
    assert skipped.commit.startswith(broken)
    # Named as git names a file at a commit, never by the temporary folder it was read from.
    assert skipped.problem.startswith(f"{broken}:policy/rules/connection.yaml:")
    assert "`flying`" in skipped.problem


def test_a_version_whose_every_commit_fails_is_left_out(repo: Path) -> None:
    apply(repo, *BROKEN)
    set_version(repo, "1.1", "2027-01-01")
    commit(repo, "Version 1.1, broken")
    git(repo, "checkout", "-q", "HEAD~1", "--", "policy")
    found = history(repo)
    assert [r.version for r in found.releases] == ["1.0"]
    assert len(found.skipped) == 1


@pytest.mark.parametrize(("edits", "shown"), [((), False), (VIDEO_NOT_BILLABLE, True), (REWORDED, True)])
def test_uncommitted_edits_are_the_unreleased_state(repo: Path, edits: tuple, shown: bool) -> None:
    apply(repo, *edits)
    found = history(repo)
    assert (found.unreleased is not None) is shown
    if found.unreleased is not None:
        assert found.unreleased.commit == "" and found.unreleased.fingerprint


def test_the_same_edits_have_the_same_fingerprint(repo: Path) -> None:
    apply(repo, *VIDEO_NOT_BILLABLE)
    first = history(repo).unreleased
    again = history(repo).unreleased
    assert first is not None and again is not None and again.fingerprint == first.fingerprint
    apply(repo, *WINDOW_21)
    second = history(repo).unreleased
    assert second is not None and second.fingerprint != first.fingerprint


def test_outside_a_git_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "unpacked"
    shutil.copytree(CLINIC, root)
    assert history(root) == History(unavailable=NOT_A_CHECKOUT)


def test_without_git_installed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = load_policy(repo / "policy")
    monkeypatch.setenv("PATH", str(repo / "no-such-folder"))
    assert read_history(repo / "policy", policy) == History(unavailable=NOT_A_CHECKOUT)


def test_in_a_shallow_clone(repo: Path, tmp_path: Path) -> None:
    release(repo, "1.1", "2027-01-01", *VIDEO_NOT_BILLABLE)
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", repo.as_uri(), str(shallow))
    assert history(shallow) == History(unavailable=SHALLOW)
    git(shallow, "fetch", "-q", "--unshallow")
    assert [r.version for r in history(shallow).releases] == ["1.0", "1.1"]


def test_a_policy_folder_with_no_commits(repo: Path) -> None:
    shutil.copytree(repo / "policy", repo / "draft" / "policy")
    assert history(repo / "draft") == History(unavailable=NO_COMMITS)
