"""The diff lists exactly the scenarios whose outcome changes, for real edits to the
bundled policy, for git revisions, and with every input mistake reported by code."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from billability import Outcome, Policy, load_policy
from billability.diagnostics import Problems, ScenarioError
from billability.diff import PolicyDiff, diff_markdown, diff_policies, diff_text, policy_at
from billability.model import FactType, Value
from billability.regions import space_of
from billability.resources import corpus_dir, policy_dir
from policy_texts import ADD_CREDENTIAL, ALLOW_VIDEO, FACTS, WINDOW_45, edited_policy, rule, small_policy

EDITS = {"window-45": WINDOW_45, "allow-video": ALLOW_VIDEO, "add-credential": ADD_CREDENTIAL}


@pytest.fixture(scope="module")
def base() -> Policy:
    return load_policy()


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Policy]:
    return {
        name: load_policy(edited_policy(tmp_path_factory.mktemp(name), *changes)) for name, changes in EDITS.items()
    }


def outcome_or_none(policy: Policy, scenario: dict[str, Value]) -> Outcome | None:
    try:
        return policy.evaluate({k: v for k, v in scenario.items() if k in policy.fact_index}).outcome
    except ScenarioError:
        return None


@pytest.mark.parametrize("name", sorted(EDITS))
def test_random_scenarios_change_exactly_where_the_diff_says(
    base: Policy, edited: dict[str, Policy], name: str
) -> None:
    head = edited[name]
    diff = diff_policies(base, head)
    space = space_of(base, head)
    chooser = random.Random(name)
    for _ in range(2000):
        scenario: dict[str, Value] = {}
        for fact_name in space.facts:
            piece = chooser.choice(space.pieces[fact_name])
            if piece.restriction.integer:
                low = piece.restriction.low or 0
                high = piece.restriction.high if piece.restriction.high is not None else low + 500
                scenario[fact_name] = chooser.randint(low, high)
            else:
                scenario[fact_name] = piece.value
        groups = [c for c in diff.outcome_changes if all(r.contains(scenario[r.fact]) for r in c.restrictions)]
        before, after = outcome_or_none(base, scenario), outcome_or_none(head, scenario)
        if before == after:
            assert groups == []
        else:
            (group,) = groups
            assert (group.before, group.after) == (before, after)


def test_moving_the_window_to_45_days(base: Policy, edited: dict[str, Policy]) -> None:
    diff = diff_policies(base, edited["window-45"], [corpus_dir()])
    (change,) = diff.outcome_changes
    days = change.restrictions[-1]
    assert (days.fact, days.low, days.high) == ("days_since_discharge", 31, 45)
    assert (change.before, change.after) == (Outcome.NOT_BILLABLE, Outcome.BILLABLE)
    assert change.combinations == 3 * 7 * 2  # qualified credentials x contact modes x contact reached
    assert change.numbers == (("days_since_discharge", 15),)
    assert [(r.rule, r.change, r.fields) for r in diff.rules] == [
        ("warm-handoff-tcs-window", "changed", ("when", "reason"))
    ]
    failing = {(Path(c.location.file).name, c.failed_before) for c in diff.failing_cases}
    assert failing == {("boundaries.yaml", False)}


def test_allowing_video(base: Policy, edited: dict[str, Policy]) -> None:
    diff = diff_policies(base, edited["allow-video"])
    (change,) = diff.outcome_changes
    assert [(r.fact, r.values) for r in change.restrictions][1:] == [
        ("activity", ("provider_communication", "service_follow_up", "advocacy")),
        ("contact_mode", ("video",)),
        ("contact_successful", (True,)),
    ]
    assert (change.before, change.after) == (Outcome.NEEDS_REVIEW, Outcome.BILLABLE)
    assert {r.rule for r in diff.rules} == {
        "provider-communication",
        "service-follow-up",
        "advocacy",
        "communication-video-or-text",
    }


def test_adding_a_credential(base: Policy, edited: dict[str, Policy]) -> None:
    diff = diff_policies(base, edited["add-credential"])
    assert diff.outcome_changes
    for change in diff.outcome_changes:
        assert change.before is None
        assert change.restrictions[0].values == ("licensed_clinical_intern",)
    # Every scenario of the new credential is new: 18 activities x 7 modes x 2^4 yes/no facts.
    assert diff.changed_combinations == 18 * 7 * 16
    assert [(f.fact, f.change, f.details) for f in diff.facts] == [
        ("provider_credential", "changed", ("value `licensed_clinical_intern` added",))
    ]


def test_a_policy_against_itself_changes_nothing(base: Policy) -> None:
    diff = diff_policies(base, load_policy(), [corpus_dir()])
    assert diff == PolicyDiff("base", "head", (), diff.combinations, 0, (), (), (), (), ())
    assert "no scenario changes outcome" in diff_text(diff)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ((rule("a", "billable", "activity: talk"),), (), [("a", "removed", ())]),
        ((), (rule("a", "billable", "activity: talk"),), [("a", "added", ())]),
        (
            (rule("a", "billable", "activity: talk"),),
            (rule("a", "not_billable", "activity: talk"),),
            [("a", "changed", ("outcome",))],
        ),
    ],
)
def test_rules_added_removed_and_changed(
    before: tuple[str, ...], after: tuple[str, ...], expected: list[tuple[str, str, tuple[str, ...]]]
) -> None:
    keep = rule("keep", "not_billable", "reached: false")
    diff = diff_policies(small_policy(keep, *before), small_policy(keep, *after))
    assert [(r.rule, r.change, r.fields) for r in diff.rules] == expected


def test_an_integer_fact_becoming_an_enum_is_reported() -> None:
    as_enum = FACTS.replace("type: integer\n    minimum: 0", "type: enum\n    values: {short: {label: Short}}")
    head = small_policy(rule("a", "billable", "activity: talk"), facts=as_enum)
    assert head.fact_index["minutes"].type is FactType.ENUM
    with pytest.raises(Problems) as raised:
        diff_policies(small_policy(rule("a", "billable", "activity: talk")), head)
    assert [d.code for d in raised.value.diagnostics] == ["diff.fact-type-changed"]


def test_markdown_is_a_marked_comment_with_a_table(base: Policy, edited: dict[str, Policy]) -> None:
    text = diff_markdown(diff_policies(base, edited["window-45"]))
    lines = text.splitlines()
    assert lines[0] == "<!-- billability-diff -->"
    assert "| not_billable | billable |" in text


# --- git revisions -------------------------------------------------------------------------


def git(repository: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *arguments],
        cwd=repository,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with the bundled policy committed, then the 45-day window committed."""
    git(tmp_path, "init", "-q", "-b", "main")
    edited_policy(tmp_path / "original")
    (tmp_path / "original" / "policy").rename(tmp_path / "policy")
    git(tmp_path, "add", "policy")
    git(tmp_path, "commit", "-q", "-m", "policy")
    for file, old, new in WINDOW_45:
        path = tmp_path / "policy" / file
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    git(tmp_path, "commit", "-q", "-am", "window")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_revisions_are_read_from_git(repository: Path) -> None:
    base, head = policy_at("HEAD~1"), policy_at("HEAD")
    diff = diff_policies(base, head, base_label="HEAD~1", head_label="HEAD")
    assert len(diff.outcome_changes) == 1
    (changed,) = diff.rules
    assert changed.location is not None and changed.location.file == "HEAD:policy/rules/connection.yaml"
    assert policy_at("policy").rules == head.rules


@pytest.mark.parametrize(
    ("spec", "folder", "code"),
    [
        ("no-such-branch", "policy", "diff.unknown-policy"),
        ("HEAD", "elsewhere", "diff.no-policy-at-revision"),
    ],
)
def test_unreadable_policies_are_reported(repository: Path, spec: str, folder: str, code: str) -> None:
    with pytest.raises(Problems) as raised:
        policy_at(spec, folder)
    assert [d.code for d in raised.value.diagnostics] == [code]


def test_a_broken_policy_at_a_revision_is_located_in_that_revision(repository: Path) -> None:
    path = repository / "policy" / "rules" / "credential.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("provider_credential:", "provider_credentail:"), encoding="utf-8"
    )
    git(repository, "commit", "-q", "-am", "typo")
    with pytest.raises(Problems) as raised:
        policy_at("HEAD")
    (problem,) = raised.value.diagnostics
    assert problem.code == "policy.unknown-fact"
    assert problem.location is not None and problem.location.file == "HEAD:policy/rules/credential.yaml"
    assert problem.location.line == 8  # `rules: - id, title, topic, outcome, when: not:` come first


def test_the_bundled_policy_folder_is_a_path(base: Policy) -> None:
    assert policy_at(str(policy_dir())).rules == base.rules
