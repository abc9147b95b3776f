"""The What changed page: each version in git history, newest first, with its outcome
changes in the fixture policy's own labels; versions without outcome changes, renames,
the history from before versions were numbered, commits that do not compile, uncommitted
edits, and copies without git history. Every repository is made by the test from the
clinic fixture; expected sentences are built from the fixture's labels."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from billability import Outcome, Policy, load_policy
from billability.diagnostics import ScenarioError
from billability.history import (
    CHANGES,
    Statement,
    changes_page,
    compare,
    history_pages,
    read_history,
    statement_text,
)
from billability.model import Value
from billability.regions import Restriction, space_of
from policy_texts import CLINIC, git

Edit = tuple[str, str, str]  # (file in the checkout, old text, new text)

VIDEO_NOT_BILLABLE = (
    (
        "policy/rules/communication.yaml",
        "outcome: needs_review\n    when:\n      activity: provider_call\n      contact_mode: video",
        "outcome: not_billable\n    when:\n      activity: provider_call\n      contact_mode: video",
    ),
)
WINDOW_21 = (("policy/rules/connection.yaml", "more_than: 14", "more_than: 21"),)
REWORDED = (("policy/rules/connection.yaml", "driving the client is not billable", "driving is not billable"),)
RENAME_VALUE = (
    ("policy/facts.yaml", "      driving:\n", "      transport:\n"),
    ("policy/rules/connection.yaml", "activity: driving", "activity: transport"),
)
BROKEN = (("policy/rules/connection.yaml", "activity: driving", "activity: flying"),)


# --- repositories made from the clinic fixture ---------------------------------------------


def apply(root: Path, *edits: Edit) -> None:
    for file, old, new in edits:
        path = root / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8")


def set_version(root: Path, version: str | None, effective: str = "2026-12-01") -> None:
    """Give policy.yaml the version (None: take the version fields out, as before they existed)."""
    path = root / "policy" / "policy.yaml"
    lines = [
        line
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
        if not re.match(r"  (version|effective_from):", line)
    ]
    if version is not None:
        at = lines.index("policy:\n") + 1
        lines[at:at] = [f'  version: "{version}"\n', f'  effective_from: "{effective}"\n']
    else:
        lines = [line for line in lines if not re.match(r"  (source_document|review):", line)]
    path.write_text("".join(lines), encoding="utf-8")


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The clinic checkout as a new git repository with version 1.0 committed."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    git(root, "init", "-q", "-b", "main")
    set_version(root, "1.0")
    commit(root, "Version 1.0")
    return root


def release(root: Path, version: str, effective: str, *edits: Edit) -> None:
    apply(root, *edits)
    set_version(root, version, effective)
    commit(root, f"Version {version}")


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


def test_history_before_versions_is_one_earlier_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    git(root, "init", "-q", "-b", "main")
    set_version(root, None)
    commit(root, "First policy")
    apply(root, *WINDOW_21)
    commit(root, "A wider window, still without a version")
    shutil.rmtree(root / "policy")
    shutil.copytree(CLINIC / "policy", root / "policy")
    release(root, "1.0", "2026-12-01", *VIDEO_NOT_BILLABLE)
    clinic = load_policy(CLINIC / "policy")
    found = sections(page(root))
    assert list(found) == ["Version 1.0", "The policy before version 1.0"]
    newest = plain(found["Version 1.0"])
    assert "Compared with the policy before version 1.0:" in newest
    assert f"- {video_sentence(clinic)}." in newest
    # The unversioned state is its last commit: the window of 21 days, now back to 14.
    assert "Billable → Not billable" in newest
    assert "before versions were numbered" in found["The policy before version 1.0"]


def test_a_commit_that_does_not_compile_is_skipped_with_a_note(repo: Path, clinic: Policy) -> None:
    release(repo, "1.1", "2027-01-01", *VIDEO_NOT_BILLABLE)
    apply(repo, *BROKEN)
    commit(repo, "A typo")
    broken = subprocess.run(
        ["git", "rev-parse", "--short=7", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
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


def test_a_policy_with_no_commits_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    git(root, "init", "-q", "-b", "main")
    assert "no commits yet" in page(root)


def test_versions_are_newest_first_and_each_compared_with_the_one_before(repo: Path) -> None:
    release(repo, "1.1", "2027-01-01", *VIDEO_NOT_BILLABLE)
    release(repo, "1.2", "2027-02-01", *WINDOW_21)
    history = read_history(repo / "policy", load_policy(repo / "policy"))
    assert [r.version for r in history.releases] == ["1.0", "1.1", "1.2"]
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
    monkeypatch.setattr("billability.history.MAX_STATEMENTS", 1)
    newest = plain(sections(page(repo))["Version 1.1"])
    listed = [line for line in newest.splitlines() if line.startswith("- ") and "→" in line]
    assert len(listed) == 1
    assert re.search(
        r"- …and 1 more change \(a maintainer can list them all with `billability diff \w+ \w+`\)\.", newest
    )


# --- what each statement claims holds for every scenario ---------------------------------------

EDITS = {
    "video-not-billable": VIDEO_NOT_BILLABLE,
    "window-21": WINDOW_21,
    "rename-value": RENAME_VALUE,
    "rename-and-window": RENAME_VALUE + WINDOW_21,
    "add-nurse": (
        ("policy/facts.yaml", "      peer:\n", "      nurse:\n        label: Nurse\n      peer:\n"),
        ("policy/rules/credential.yaml", "provider_credential: counselor", "provider_credential: [counselor, nurse]"),
    ),
}


def outcome(policy: Policy, scenario: dict[str, Value]) -> Outcome | None:
    try:
        return policy.evaluate({k: v for k, v in scenario.items() if k in policy.fact_index}).outcome
    except ScenarioError:
        return None


def inside(restrictions: tuple[Restriction, ...], scenario: dict[str, Value]) -> bool:
    return all(r.contains(scenario[r.fact]) for r in restrictions)


@pytest.mark.parametrize("name", sorted(EDITS))
def test_every_statement_holds_and_every_change_is_stated(clinic: Policy, tmp_path: Path, name: str) -> None:
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    apply(root, *EDITS[name])
    head = load_policy(root / "policy")
    comparison = compare(clinic, head)
    assert comparison.problem is None
    base = comparison.base
    assert base is not None
    space = space_of(base, head)
    changed = 0
    for values in itertools.product(*(space.pieces[fact] for fact in space.facts)):
        scenario = {fact: piece.value for fact, piece in zip(space.facts, values, strict=True)}
        before, after = outcome(base, scenario), outcome(head, scenario)
        for statement in comparison.statements:
            if inside(statement.restrictions, scenario):
                # Inside a statement: its change, or not billable before and after.
                assert (before, after) in (
                    (statement.before, statement.after),
                    (Outcome.NOT_BILLABLE, Outcome.NOT_BILLABLE),
                ), (statement_text(statement, head, base), scenario)
        if before != after:
            changed += 1
            assert any(
                inside(s.restrictions, scenario) and (s.before, s.after) == (before, after)
                for s in comparison.statements
            ), scenario
    assert (changed > 0) == bool(comparison.statements)
    assert (changed == 0) == name.startswith("rename-value")


def test_statements_are_fewer_than_the_diff_groups_when_conditions_only_made_the_old_answer(
    clinic: Policy, tmp_path: Path
) -> None:
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    apply(root, *VIDEO_NOT_BILLABLE)
    head = load_policy(root / "policy")
    (statement,) = compare(clinic, head).statements
    # The credential made no difference to the old answer's change: it is not named.
    assert {r.fact for r in statement.restrictions} == {"activity", "contact_mode"}
    assert statement == Statement(
        (Restriction("activity", ("provider_call",)), Restriction("contact_mode", ("video",))),
        Outcome.NEEDS_REVIEW,
        Outcome.NOT_BILLABLE,
    )
