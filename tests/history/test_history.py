"""The What changed page: each version in git history, newest first, with its outcome
changes in the fixture policy's own labels; versions without outcome changes, renames,
the history from before versions were numbered, commits that do not compile, uncommitted
edits, and copies without git history. Every repository is made by the test from the
clinic fixture; expected sentences are built from the fixture's labels."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from billability import Policy, load_policy
from billability.history.changes import changes_between
from billability.site.coming import Coming
from billability.site.pages import build_pages
from billability.site.what_changed import CHANGES, changes_page, history_pages
from history_repos import (
    BROKEN,
    NARROW_AGAIN,
    RENAME_VALUE,
    REWORDED,
    VIDEO_NOT_BILLABLE,
    WINDOW_21,
    Edit,
    apply,
    clinic_repository,
    commit,
    release,
    set_version,
    short_head,
)
from policy_texts import CHECKOUT, CLINIC, git


def page(root: Path) -> str:
    return changes_page(root / "policy", load_policy(root / "policy"))


def plain(markdown: str) -> str:
    """The page as staff read it: no tags, no Markdown escapes."""
    return re.sub(r"\\(.)", r"\1", re.sub(r"<[^>]+>", "", markdown))


def sections(markdown: str) -> dict[str, str]:
    """The page's second-level sections by heading, in page order."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


# --- expected sentences, from the fixture's labels --------------------------------------------


def label(policy: Policy, fact: str, value: str | None = None) -> str:
    found = policy.fact_index[fact]
    return found.label if value is None else next(v.label for v in found.values if v.name == value)


def lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def video_sentence(clinic: Policy) -> str:
    return (
        f"{label(clinic, 'activity', 'provider_call')} "
        f"({lower(label(clinic, 'contact_mode'))}: {lower(label(clinic, 'contact_mode', 'video'))}): "
        "Needs review → Not billable"
    )


# --- the page -----------------------------------------------------------------------------------


def test_a_coming_version_comes_first_under_its_day_and_is_not_listed_again(repo: Path, clinic: Policy) -> None:
    release(repo, "1.1", "2027-01-01", *VIDEO_NOT_BILLABLE)
    head = load_policy(repo / "policy")
    coming = Coming(clinic, head, changes_between(clinic, head), current=True)
    text = changes_page(repo / "policy", head, shown=clinic, coming=[coming])
    found = sections(text)
    assert list(found) == ["Coming on 2027-01-01: version 1.1 { #coming-1-1 }", "Version 1.0"]
    assert video_sentence(clinic) in plain(found["Coming on 2027-01-01: version 1.1 { #coming-1-1 }"])
    assert f"This site shows version {clinic.version}, effective from {clinic.effective_from}." in text


def test_a_new_version_lists_its_outcome_changes_in_staff_words(repo: Path, clinic: Policy) -> None:
    release(repo, "1.1", "2027-01-01", *VIDEO_NOT_BILLABLE)
    text = page(repo)
    found = sections(text)
    assert list(found) == ["Version 1.1", "Version 1.0"]
    newest = plain(found["Version 1.1"])
    assert "Effective from 2027-01-01." in newest
    assert "Compared with version 1.0:" in newest
    assert f"- {video_sentence(clinic)}." in newest
    assert "(topics/communication.md)" in found["Version 1.1"]
    assert "earliest state" in found["Version 1.0"]
    # Staff text names no rule and no fact by its name in the policy files.
    assert "provider-call" not in text and "contact_mode" not in text


def test_conditions_that_kept_an_activity_not_billable_go_without_saying(repo: Path, clinic: Policy) -> None:
    release(repo, "1.1", "2027-01-01", *WINDOW_21)
    # A hand-off by a peer, or undocumented, stays not billable: the sentence names the window only.
    expected = (
        f"{label(clinic, 'activity', 'handoff')} "
        f"({lower(label(clinic, 'days_since_discharge'))}: 15 to 21): Not billable → Billable"
    )
    assert f"- {expected}." in plain(sections(page(repo))["Version 1.1"])


@pytest.mark.parametrize(
    ("edits", "expected"),
    [((), "No answer changed."), (REWORDED, "No answer changed (only wording changed).")],
    ids=["version-only", "reworded"],
)
def test_a_version_without_outcome_changes_says_so(repo: Path, edits: tuple[Edit, ...], expected: str) -> None:
    release(repo, "1.1", "2027-01-01", *edits)
    newest = sections(page(repo))["Version 1.1"]
    assert expected in newest
    assert "→" not in newest


def test_a_rename_is_no_outcome_change(repo: Path, clinic: Policy) -> None:
    release(repo, "1.1", "2027-01-01", *RENAME_VALUE)
    newest = plain(sections(page(repo))["Version 1.1"])
    driving = label(clinic, "activity", "driving")
    assert f"Renamed {label(clinic, 'activity')} “{driving}” in the policy files only (no answer changed)." in newest
    assert "→" not in newest


def test_history_before_versions_is_one_earlier_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clinic: Policy
) -> None:
    root = clinic_repository(tmp_path, monkeypatch, version=None)
    apply(root, *WINDOW_21)
    commit(root, "A wider window, still without a version")
    release(root, "1.0", "2026-12-01", *NARROW_AGAIN, *VIDEO_NOT_BILLABLE)
    found = sections(page(root))
    assert list(found) == ["Version 1.0", "The policy before version 1.0"]
    newest = plain(found["Version 1.0"])
    assert "Compared with the policy before version 1.0:" in newest
    assert f"- {video_sentence(clinic)}." in newest
    # The unversioned state is its last commit: the window of 21 days, back to 14 in 1.0.
    assert "(days since discharge: 15 to 21): Billable → Not billable" in newest
    assert "before versions were numbered" in found["The policy before version 1.0"]
    assert "earliest state" in found["The policy before version 1.0"]


def test_a_commit_that_does_not_compile_is_skipped_with_a_note(repo: Path, clinic: Policy) -> None:
    release(repo, "1.1", "2027-01-01", *VIDEO_NOT_BILLABLE)
    apply(repo, *BROKEN)
    commit(repo, "A typo")
    broken = short_head(repo)
    git(repo, "checkout", "-q", "HEAD~1", "--", "policy")  # the working tree compiles again
    text = page(repo)
    # Version 1.1 is its last commit that compiles.
    assert f"- {video_sentence(clinic)}." in plain(sections(text)["Version 1.1"])
    note = text[text.index('!!! note "Left out of this history"') :]
    assert f"Commit {broken} (" in note and "does not compile" in note
    assert "flying" in note and "/tmp" not in note


def test_uncommitted_edits_show_first_as_unreleased(repo: Path, clinic: Policy) -> None:
    apply(repo, *VIDEO_NOT_BILLABLE)
    found = sections(page(repo))
    assert list(found) == ["Unreleased changes", "Version 1.0"]
    assert "not committed yet" in found["Unreleased changes"]
    assert f"- {video_sentence(clinic)}." in plain(found["Unreleased changes"])


def test_uncommitted_edits_that_change_no_outcome_are_not_shown(repo: Path) -> None:
    apply(repo, *REWORDED)
    assert list(sections(page(repo))) == ["Version 1.0"]


def test_uncommitted_edits_with_a_new_version_name_it(repo: Path) -> None:
    apply(repo, *VIDEO_NOT_BILLABLE)
    set_version(repo, "1.1", "2027-01-01")
    assert "(they will be version 1.1)" in sections(page(repo))["Unreleased changes"]


def test_outside_a_git_clone_the_page_says_how_to_get_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "unpacked"
    shutil.copytree(CLINIC, root)
    text = page(root)
    assert "not available" in text and "git clone" in text
    assert not sections(text)


def test_without_git_installed_the_page_says_so(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = load_policy(repo / "policy")
    monkeypatch.setenv("PATH", str(repo / "no-such-folder"))
    assert "not available" in changes_page(repo / "policy", policy)


def test_a_shallow_clone_says_to_fetch_the_history(repo: Path, tmp_path: Path) -> None:
    release(repo, "1.1", "2027-01-01", *VIDEO_NOT_BILLABLE)
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", repo.as_uri(), str(shallow))
    text = page(shallow)
    assert "git fetch --unshallow" in text
    assert not sections(text)


def test_a_policy_with_no_commits_yet(repo: Path) -> None:
    shutil.copytree(repo / "policy", repo / "draft" / "policy")
    assert "no commits yet" in page(repo / "draft")


def test_versions_are_newest_first_and_each_compared_with_the_one_before(repo: Path) -> None:
    release(repo, "1.1", "2027-01-01", *VIDEO_NOT_BILLABLE)
    release(repo, "1.2", "2027-02-01", *WINDOW_21)
    found = sections(page(repo))
    assert list(found) == ["Version 1.2", "Version 1.1", "Version 1.0"]
    assert "Needs review → Not billable" not in plain(found["Version 1.2"])
    assert "Not billable → Billable" in plain(found["Version 1.2"])


def test_a_version_changed_over_several_commits_is_its_last_commit(repo: Path) -> None:
    release(repo, "1.1", "2027-01-01", *WINDOW_21)
    apply(repo, *VIDEO_NOT_BILLABLE)
    commit(repo, "More of version 1.1")
    newest = plain(sections(page(repo))["Version 1.1"])
    assert "Needs review → Not billable" in newest and "Not billable → Billable" in newest


def test_history_pages_gives_the_changes_page(repo: Path) -> None:
    pages = history_pages(repo / "policy", load_policy(repo / "policy"))
    assert list(pages) == [CHANGES]
    assert pages[CHANGES].startswith("# What changed")


def test_a_long_list_is_cut_with_the_count_of_the_rest(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release(repo, "1.1", "2027-01-01", *VIDEO_NOT_BILLABLE, *WINDOW_21)
    monkeypatch.setattr("billability.site.what_changed.MAX_STATEMENTS", 1)
    newest = plain(sections(page(repo))["Version 1.1"])
    listed = [line for line in newest.splitlines() if line.startswith("- ") and "→" in line]
    assert len(listed) == 1
    assert re.search(
        r"- …and 1 more change \(a maintainer can list them all with `billability diff \w+ \w+`\)\.", newest
    )


def test_the_pages_workflow_checks_out_the_whole_history() -> None:
    workflow = yaml.safe_load((CHECKOUT / ".github" / "workflows" / "docs.yml").read_text(encoding="utf-8"))
    (checkout,) = [
        step for step in workflow["jobs"]["build"]["steps"] if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkout["with"]["fetch-depth"] == 0


def test_the_site_has_the_page() -> None:
    pages = build_pages(CLINIC.parent / "clinic-site" / "contrasts.yaml", CLINIC / "policy", [CLINIC / "corpus"])
    assert pages[CHANGES].startswith("# What changed")
    assert list(pages) == sorted(pages)
