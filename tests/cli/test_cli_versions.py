"""The maintainer's commands on a policy with a released version (tests/fixtures/versioned):
`test`, `mutate` and `coverage` check each released version against the corpus as it
stood for it, `test` and `validate` refuse an edited release or a changed policy that
still says a released version, and `diff` compares versions as it compares revisions."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from command_line import run
from policy_texts import CLINIC, git
from versioned_checkouts import DATED_BEFORE, VIDEO_CALL_WORDS, add_cases, edit, versioned_copy

CURRENT = "corpus/ against policy/: 17 passed, 0 failed"
RELEASED = "corpus/releases/1.0/ against version 1.0 (policy/releases/1.0/): 15 passed, 0 failed"
RELEASED_CASE = "corpus/releases/1.0/cases.yaml"
VIDEO_CHANGE = "Needs review → Billable"


@pytest.fixture
def versioned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the two-version checkout, as the working folder."""
    root = versioned_copy(tmp_path / "versioned")
    monkeypatch.chdir(root)
    return root


def released_again(root: Path) -> None:
    """The current version (2.0) released, so that an edit of the policy must raise it."""
    status, out, err = run("release")
    assert status == 0, out + err
    assert (root / "policy" / "releases" / "2.0").is_dir()


# --- test -------------------------------------------------------------------------------------


def test_test_runs_each_version_with_its_own_summary(versioned: Path) -> None:
    status, out, _ = run("test")
    assert (status, out.splitlines()) == (0, [CURRENT, RELEASED])


def test_test_of_a_policy_without_releases_prints_its_one_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(CLINIC, tmp_path / "clinic")
    monkeypatch.chdir(tmp_path / "clinic")
    status, out, _ = run("test")
    assert status == 0 and len(out.splitlines()) == 1
    assert re.fullmatch(r"corpus/ against policy/: \d+ passed, 0 failed\n", out)


def test_a_corpus_file_picked_out_runs_against_the_current_version_alone(versioned: Path) -> None:
    status, out, _ = run("test", "corpus/cases.yaml")
    assert (status, out.splitlines()) == (0, ["corpus/cases.yaml against policy/: 17 passed, 0 failed"])


def test_a_release_corpus_that_fails_fails_test_naming_its_version(versioned: Path) -> None:
    line, _ = edit(
        versioned / RELEASED_CASE,
        "expect: {outcome: needs_review, rules: [provider-call-video]}",
        "expect: {outcome: billable, rules: [provider-call-video]}",
    )
    status, out, _ = run("test")
    assert status == 1
    lines = out.splitlines()
    assert CURRENT in lines
    assert f"{RELEASED_CASE}:{line - 2}:5: FAIL: A video call needs review" in lines
    assert "corpus/releases/1.0/ against version 1.0 (policy/releases/1.0/): 14 passed, 1 failed" in lines
    # The release was edited after it was released: that is said too, at the file.
    assert f"{RELEASED_CASE}: error[release.edited]: released version `1.0` was changed after its release" in lines


def test_an_edited_release_is_an_error_of_test_and_validate(versioned: Path) -> None:
    edit(versioned / "policy" / "releases" / "1.0" / "rules" / "communication.yaml", "the table names only", "only")
    expected = "policy/releases/1.0/rules/communication.yaml: error[release.edited]"
    status, out, _ = run("test")
    assert status == 1 and expected in out
    assert out.splitlines()[-1] == "1 problem with the released versions"
    status, _, err = run("validate")
    assert status == 1 and expected in err


def test_a_released_version_equal_to_the_current_one_is_run_once(versioned: Path) -> None:
    released_again(versioned)
    status, out, _ = run("test")
    assert (status, out.splitlines()) == (0, [CURRENT, RELEASED])


def test_a_policy_changed_without_raising_its_version_is_an_error(versioned: Path) -> None:
    released_again(versioned)
    assert run("test")[0] == run("validate")[0] == 0
    edit(versioned / "policy" / "rules" / "connection.yaml", "more_than: 14", "more_than: 21")
    text = (versioned / "policy" / "policy.yaml").read_text(encoding="utf-8")
    line = text.splitlines().index('  version: "2.0"') + 1
    expected = f"policy/policy.yaml:{line}:12: error[release.changed]"
    status, out, _ = run("test")
    assert status == 1 and expected in out
    status, _, err = run("validate")
    assert status == 1 and expected in err
    # Raising the version (a day after the last) is the way out.
    edit(versioned / "policy" / "policy.yaml", 'version: "2.0"', 'version: "2.1"')
    edit(versioned / "policy" / "policy.yaml", 'effective_from: "2026-07-01"', 'effective_from: "2026-08-01"')
    status, out, _ = run("validate")
    assert status == 0, out


def test_a_dated_case_is_checked_by_test_and_validate(versioned: Path) -> None:
    status, out, _ = run("test", "-v")
    assert status == 0 and f"ok: {DATED_BEFORE}" in out
    line = add_cases(
        versioned / "corpus" / "cases.yaml",
        "  - name: A video call before the first version\n    on: 2025-06-30\n"
        "    facts: {provider_credential: counselor, activity: provider_call, contact_mode: video}\n"
        "    expect: {outcome: needs_review, rules: [provider-call-video]}\n",
    )
    expected = f"corpus/cases.yaml:{line + 1}:9: error[version.before-first]"
    status, _, err = run("test")
    assert status == 2 and expected in err
    status, _, err = run("validate")
    assert status == 1 and expected in err


# --- mutate and coverage ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "current", "released"),
    [
        ("mutate", r"\d+ mutants of policy/: .*", r"\d+ mutants of version 1\.0 \(policy/releases/1\.0/\): .*"),
        ("coverage", r"policy/: rules: 9/9 .*", r"version 1\.0 \(policy/releases/1\.0/\): rules: 9/9 .*"),
    ],
)
def test_mutate_and_coverage_measure_each_version(versioned: Path, command: str, current: str, released: str) -> None:
    _, out, _ = run(command)
    summaries = [line for line in out.splitlines() if re.fullmatch(current, line) or re.fullmatch(released, line)]
    assert len(summaries) == 2 and re.fullmatch(current, summaries[0]) and re.fullmatch(released, summaries[1])
    # Each version's findings are located in its own files.
    assert any(line.startswith("policy/releases/1.0/") for line in out.splitlines())


# Cases that make the current version's corpus complete: every condition seen both ways,
# every mutant killed. The released version's corpus stays as it was released.
COMPLETING = "".join(
    f"  - name: {name}\n    facts: {{{facts}}}\n    expect: {{{expect}}}\n\n"
    for name, facts, expect in [
        (
            f"Benefits help with a contact mode {mode} changes nothing",
            f"provider_credential: counselor, activity: benefits, contact_mode: {mode}",
            "outcome: billable, rules: [benefits]",
        )
        for mode in ("phone", "voicemail", "video")
    ]
    + [
        (
            "Hand-off facts given for benefits help change nothing",
            "provider_credential: counselor, activity: benefits, documented: false, days_since_discharge: 20",
            "outcome: billable, rules: [benefits]",
        ),
        (
            "Benefits help asks who gave it",
            "activity: benefits",
            "outcome: undetermined, missing: [provider_credential]",
        ),
        (
            "A call to a provider asks who made it and how",
            "activity: provider_call",
            "outcome: undetermined, missing: [provider_credential, contact_mode]",
        ),
    ]
)


@pytest.mark.parametrize(
    ("command", "current", "released"),
    [
        (
            "coverage",
            "policy/: rules: 9/9 decide a case (100.0%); conditions: 20/20",
            "version 1.0 (policy/releases/1.0/): rules: 9/9 decide a case (100.0%); conditions: 15/20",
        ),
        (
            "mutate",
            "mutants of policy/: 71 killed, 2 equivalent by proof, 0 survived",
            "mutants of version 1.0 (policy/releases/1.0/): 67 killed, 2 equivalent by proof, 4 survived",
        ),
    ],
)
def test_a_released_version_that_falls_short_fails_mutate_and_coverage(
    versioned: Path, command: str, current: str, released: str
) -> None:
    add_cases(versioned / "corpus" / "cases.yaml", COMPLETING)
    status, out, _ = run(command)
    assert current in out and released in out
    assert status == 1
    # The current version alone passes: it is the released version that fails the command.
    status, out, _ = run(command, "--corpus", "corpus/cases.yaml")
    assert status == 0 and released not in out


# --- diff between versions ---------------------------------------------------------------------


def test_diff_a_released_version_with_the_working_tree(versioned: Path) -> None:
    status, out, _ = run("diff", "1.0")
    assert status == 1
    assert out.splitlines()[0] == "policy diff version 1.0 -> working tree"
    assert VIDEO_CHANGE in out and "{" + ", ".join(w.replace("=", ": ") for w in VIDEO_CALL_WORDS) + "}" in out
    # The case dated under 1.0 is not run against the working tree's version.
    assert "corpus cases that fail" not in out
    assert "corpus/ against working tree: 16 passed, 0 failed" in out


def test_diff_between_two_versions(versioned: Path) -> None:
    status, out, _ = run("diff", "1.0", "2.0")
    assert status == 1
    assert out.splitlines()[0] == "policy diff version 1.0 -> version 2.0"
    assert VIDEO_CHANGE in out
    status, out, _ = run("diff", "2.0", "1.0")
    assert status == 1
    assert "Billable → Needs review" in out
    # HEAD is the released version, with the corpus as it stood for it.
    assert "corpus/releases/1.0/ against version 1.0: 15 passed, 0 failed" in out


def test_a_released_version_wins_over_a_git_revision_of_its_name(versioned: Path) -> None:
    git(versioned, "init", "-q")
    git(versioned, "add", "-A")
    git(versioned, "commit", "-q", "-m", "two versions")
    git(versioned, "tag", "1.0")
    # The tag is the working tree as committed: as a revision, nothing changes.
    status, out, _ = run("diff", "tags/1.0")
    assert (status, out.splitlines()[0]) == (0, "policy diff tags/1.0 -> working tree")
    status, out, _ = run("diff", "1.0")
    assert (status, out.splitlines()[0]) == (1, "policy diff version 1.0 -> working tree")


def test_diff_names_a_version_the_policy_does_not_have(versioned: Path) -> None:
    status, _, err = run("diff", "3.0")
    assert status == 2
    assert "3.0: error[diff.unknown-policy]: `3.0` is not a policy file or folder, a version of the policy" in err


def test_diff_help_says_a_released_version_wins_over_a_revision() -> None:
    _, out, _ = run("diff", "--help")
    assert "billability diff 1.0" in out
    assert re.search(r"a version wins\s+over a git revision of the same name", out)
