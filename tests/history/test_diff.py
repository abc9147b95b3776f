"""The diff lists exactly the scenarios whose outcome changes, reads a pure rename as a
rename, compares a revision with the working tree by default, and reports every input
mistake (corpus files that do not load on either side included) located, never in a
temporary folder. Engine tests run on the clinic fixture and small inline policies;
the command runs in real git repositories made for each test."""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from click.testing import CliRunner

from billability import Outcome, Policy, load_policy
from billability.cli import main
from billability.decide.regions import Restriction, space_of
from billability.history.diff import diff_policies, diff_sides
from billability.history.diff_report import diff_markdown, diff_text, identifiers
from billability.history.renames import renamed_policy
from billability.history.revisions import read_side
from billability.model.diagnostics import Problems, ScenarioError
from billability.model.policy import FactType, Value
from history_repos import ADD_NURSE, WINDOW_21, Edit, apply, commit
from policy_texts import CLINIC, FACTS, git, rule, small_policy
from scenarios import asked_scenarios, combinations_of

ALLOW_VIDEO = (
    (
        "policy/rules/communication.yaml",
        "outcome: needs_review\n    when:\n      activity: provider_call\n      contact_mode: video",
        "outcome: billable\n    when:\n      activity: provider_call\n      contact_mode: video",
    ),
)
RENAME_FACT_IN_POLICY = (
    ("policy/facts.yaml", "  documented:\n", "  note_documented:\n"),
    ("policy/rules/connection.yaml", "documented: false", "note_documented: false"),
)
RENAME_FACT = (
    *RENAME_FACT_IN_POLICY,
    ("corpus/cases.yaml", "documented: true", "note_documented: true"),
    ("corpus/cases.yaml", "documented: false", "note_documented: false"),
    ("corpus/cases.yaml", "missing: [documented,", "missing: [note_documented,"),
)
RENAME_VALUE = (
    ("policy/facts.yaml", "      driving:\n", "      transport:\n"),
    ("policy/rules/connection.yaml", "activity: driving", "activity: transport"),
    ("corpus/cases.yaml", "activity: driving", "activity: transport"),
)

EDITS = {
    "window-21": WINDOW_21,
    "allow-video": ALLOW_VIDEO,
    "add-nurse": ADD_NURSE,
    "rename-fact": RENAME_FACT,
    "rename-value": RENAME_VALUE,
    "rename-and-window": RENAME_FACT + WINDOW_21,
}


def checkout(root: Path, *edits: Edit) -> Path:
    """A copy of the clinic checkout (policy/ and corpus/) at `root`, edited."""
    if not root.exists():
        shutil.copytree(CLINIC, root)
    apply(root, *edits)
    return root


def lines_with(path: Path, text: str, exactly: bool = False) -> list[int]:
    rows = path.read_text(encoding="utf-8").splitlines()
    return [n for n, row in enumerate(rows, start=1) if (row == text if exactly else text in row)]


# --- comparing policies -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Policy]:
    return {
        name: load_policy(checkout(tmp_path_factory.mktemp(name) / "clinic", *edits) / "policy")
        for name, edits in EDITS.items()
    }


def outcome_or_none(policy: Policy, scenario: dict[str, Value]) -> Outcome | None:
    try:
        return policy.evaluate({k: v for k, v in scenario.items() if k in policy.fact_index}).outcome
    except ScenarioError:
        return None


def inside(restrictions: Iterable[Restriction], scenario: dict[str, Value | None]) -> bool:
    return all(r.contains(scenario[r.fact]) for r in restrictions)


@pytest.mark.parametrize("name", sorted(EDITS))
def test_random_scenarios_change_exactly_where_the_diff_says(
    clinic: Policy, edited: dict[str, Policy], name: str
) -> None:
    head = edited[name]
    diff = diff_policies(clinic, head)
    base = renamed_policy(clinic, diff.renames)
    space = space_of(base, head)
    chooser = random.Random(name)
    changed = 0
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
            changed += 1
            (group,) = groups
            assert (group.before, group.after) == (before, after)
    assert bool(changed) is diff.outcomes_change


def test_moving_the_window(clinic: Policy, edited: dict[str, Policy]) -> None:
    diff = diff_policies(clinic, edited["window-21"])
    (change,) = diff.outcome_changes
    days = change.restrictions[-1]
    assert (days.fact, days.low, days.high) == ("days_since_discharge", 15, 21)
    assert (change.before, change.after) == (Outcome.NOT_BILLABLE, Outcome.BILLABLE)
    # One combination: a counselor's documented hand-off. The contact mode is not asked
    # about a hand-off (its `relevant_when`), so its values are not counted.
    assert "contact_mode" not in {r.fact for r in change.restrictions}
    assert change.combinations == 1
    assert change.numbers == (("days_since_discharge", 7),)
    assert [(r.rule, r.change, r.fields) for r in diff.rules] == [("handoff-window", "changed", ("when",))]
    assert diff.renames == ()


def test_allowing_video(clinic: Policy, edited: dict[str, Policy]) -> None:
    diff = diff_policies(clinic, edited["allow-video"])
    (change,) = diff.outcome_changes
    assert [(r.fact, r.values) for r in change.restrictions] == [
        ("provider_credential", ("counselor",)),
        ("activity", ("provider_call",)),
        ("contact_mode", ("video",)),
    ]
    assert (change.before, change.after) == (Outcome.NEEDS_REVIEW, Outcome.BILLABLE)
    assert [(r.rule, r.fields) for r in diff.rules] == [("provider-call-video", ("outcome",))]


def test_adding_a_credential(clinic: Policy, edited: dict[str, Policy]) -> None:
    head = edited["add-nurse"]
    diff = diff_policies(clinic, head)
    assert diff.outcome_changes
    for change in diff.outcome_changes:
        assert change.before is None
        assert change.restrictions[0].values == ("nurse",)
    # Every scenario of the new credential is new.
    assert diff.changed_combinations == diff.combinations // len(head.fact_index["provider_credential"].values)
    assert [(f.fact, f.change, f.details) for f in diff.facts] == [
        ("provider_credential", "changed", ("value `nurse` added",))
    ]


@pytest.mark.parametrize(
    ("name", "renamed", "markdown_line"),
    [
        ("rename-fact", (None, "documented", "note_documented"), "> - fact `documented` → `note_documented` ("),
        (
            "rename-value",
            ("activity", "driving", "transport"),
            "> - value `activity: driving` → `activity: transport` (",
        ),
    ],
)
def test_a_pure_rename_changes_no_outcome_and_no_rule(
    clinic: Policy, edited: dict[str, Policy], name: str, renamed: tuple[str | None, str, str], markdown_line: str
) -> None:
    diff = diff_policies(clinic, edited[name])
    assert [(r.fact, r.old, r.new) for r in diff.renames] == [renamed]
    assert (diff.outcome_changes, diff.rules, diff.facts, diff.settings) == ((), (), (), ())
    text = diff_text(diff)
    assert "renamed (breaking for callers and data mappings" in text
    assert "no scenario changes outcome (compared under the renames)" in text
    markdown = diff_markdown(diff).splitlines()
    assert "> [!WARNING]" in markdown
    assert any(line.startswith(markdown_line) for line in markdown)


def test_a_rename_and_a_real_change(clinic: Policy, edited: dict[str, Policy]) -> None:
    diff = diff_policies(clinic, edited["rename-and-window"])
    assert [(r.old, r.new) for r in diff.renames] == [("documented", "note_documented")]
    (change,) = diff.outcome_changes
    assert (change.restrictions[-1].low, change.restrictions[-1].high) == (15, 21)
    assert "note_documented: true" in identifiers(change.restrictions)
    assert [r.rule for r in diff.rules] == ["handoff-window"]


def test_cases_written_in_the_new_names_run_against_the_old_policy(
    clinic: Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = checkout(tmp_path / "clinic", *RENAME_FACT, *WINDOW_21)
    monkeypatch.chdir(root)
    diff = diff_sides(read_side(str(CLINIC / "policy")), read_side(None))
    # Only the 15-day case fails, and it passed before the change: read in the old names,
    # it is a scenario the old policy decides.
    ((location, failed_before),) = [(c.location, c.failed_before) for c in diff.failing_cases]
    assert (location.file, location.line) == (
        "corpus/cases.yaml",
        lines_with(root / "corpus/cases.yaml", ": 15}")[0] - 1,
    )
    assert failed_before is False
    assert diff.cases_run == len(read_side(None).cases)


def test_a_change_of_outcomes_under_the_same_version_is_flagged(clinic: Policy, edited: dict[str, Policy]) -> None:
    head = edited["window-21"]
    assert clinic.version == head.version
    same = diff_policies(clinic, head)
    assert same.version_note is not None and f"still {clinic.version}" in same.version_note
    assert f"warning: {same.version_note}" in diff_text(same)
    assert "> [!WARNING]" in diff_markdown(same).split("|")[0]
    raised = diff_policies(clinic, dataclasses.replace(head, version="1.1"))
    assert raised.version_note is None
    assert f"version: {clinic.version} -> 1.1" in raised.settings
    # A new version alone changes no outcome and needs no reminder.
    assert diff_policies(clinic, clinic).version_note is None


def test_a_policy_against_itself_changes_nothing(clinic: Policy) -> None:
    diff = diff_policies(clinic, load_policy(CLINIC / "policy"))
    assert (diff.renames, diff.outcome_changes, diff.changed_combinations) == ((), (), 0)
    assert (diff.settings, diff.facts, diff.rules, diff.failing_cases, diff.corpus_problems) == ((), (), (), (), ())
    assert diff.combinations == combinations_of(asked_scenarios(clinic), clinic)
    assert "no scenario changes outcome" in diff_text(diff)
    assert diff_text(diff).splitlines()[-1] == "no corpus run against head"


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


@pytest.mark.parametrize("name", sorted(EDITS))
def test_each_group_counts_the_combinations_of_answers_staff_give(
    clinic: Policy, edited: dict[str, Policy], name: str
) -> None:
    head = edited[name]
    diff = diff_policies(clinic, head)
    base = renamed_policy(clinic, diff.renames)
    scenarios = asked_scenarios(base, head)
    assert diff.combinations == combinations_of(scenarios, base, head)
    for change in diff.outcome_changes:
        assert change.combinations == combinations_of(
            (s for s in scenarios if inside(change.restrictions, s)), base, head
        ), identifiers(change.restrictions)
    changed = [s for s in scenarios if any(inside(c.restrictions, s) for c in diff.outcome_changes)]
    assert diff.changed_combinations == combinations_of(changed, base, head)


@pytest.mark.parametrize("name", sorted(EDITS))
def test_partial_scenarios_go_to_or_from_undetermined_exactly_where_the_diff_says(
    clinic: Policy, edited: dict[str, Policy], name: str
) -> None:
    head = edited[name]
    diff = diff_policies(clinic, head)
    base = renamed_policy(clinic, diff.renames)
    scenarios = asked_scenarios(base, head, blanks=True)
    shown = 0
    for scenario in scenarios:
        known = {k: v for k, v in scenario.items() if v is not None}
        before, after = outcome_or_none(base, known), outcome_or_none(head, known)
        groups = [c for c in diff.undetermined_changes if inside(c.restrictions, scenario)]
        if before != after and Outcome.UNDETERMINED in (before, after) and None not in (before, after):
            ((group_before, group_after),) = [(c.before, c.after) for c in groups]
            assert (group_before, group_after) == (before, after), scenario
            shown += 1
        else:
            assert groups == [], scenario
    for change in diff.undetermined_changes:
        assert change.combinations == combinations_of(
            (s for s in scenarios if inside(change.restrictions, s)), base, head
        )
    # A longer window leaves a hand-off in it whose documentation is not known
    # undetermined, no longer not billable. (A video call with the credential not known
    # stays undetermined; a new credential that bills as a counselor does leaves every
    # blank credential as it was.)
    assert bool(shown) is (name in ("window-21", "rename-and-window"))


# A small policy whose contact mode is asked only about talking to the client.
MODE_FACTS = (
    FACTS
    + """  mode:
    type: enum
    label: Mode of contact
    question: How?
    values:
      call: {label: Phone call}
      email: {label: Email}
      letter: {label: Letter}
    relevant_when:
      activity: talk
"""
)


def test_a_change_to_an_activity_that_does_not_ask_a_fact_counts_none_of_its_values() -> None:
    talk = rule("talk", "billable", "activity: talk")
    base = small_policy(talk, rule("drive", "not_billable", "activity: drive"), facts=MODE_FACTS)
    head = small_policy(talk, rule("drive", "needs_review", "activity: drive"), facts=MODE_FACTS)
    (change,) = diff_policies(base, head).outcome_changes
    assert [(r.fact, r.values) for r in change.restrictions] == [("activity", ("drive",))]
    # Reached yes or no; the mode is not asked about driving, so its three values count once.
    assert change.combinations == 2
    assert "[2 combinations]" in diff_text(diff_policies(base, head))


def test_a_change_only_a_fact_left_blank_shows_is_reported() -> None:
    talk = rule("talk", "billable", "activity: talk")
    base = small_policy(talk, rule("drive", "not_billable", "activity: drive"), facts=MODE_FACTS)
    head = small_policy(
        talk,
        rule("drive", "not_billable", "activity: drive\nreached: false"),
        rule("drive-reached", "billable", "activity: drive\nreached: true"),
        facts=MODE_FACTS,
    )
    diff = diff_policies(base, head)
    (complete,) = diff.outcome_changes
    assert (complete.before, complete.after) == (Outcome.NOT_BILLABLE, Outcome.BILLABLE)
    # Driving with "reached" not known was not billable whatever the answer; now it depends on it.
    (partial,) = diff.undetermined_changes
    assert [(r.fact, r.values) for r in partial.restrictions] == [("activity", ("drive",)), ("reached", (None,))]
    assert (partial.before, partial.after) == (Outcome.NOT_BILLABLE, Outcome.UNDETERMINED)
    assert diff.outcomes_change
    lines = diff_text(diff).splitlines()
    start = lines.index("with some answers not known, outcomes go to or from undetermined in 1 group:")
    assert (
        lines[start + 1]
        == "  - Every case (activity: drive; reached: not known): Not billable → Undetermined  [1 combination]"
    )
    assert lines[start + 2] == "      {activity: drive, reached: null}"
    markdown = diff_markdown(diff)
    assert "<summary>With some answers not known, outcomes go to or from undetermined in 1 group</summary>" in markdown
    assert (
        "| Every case (activity: drive; reached: not known)<br>`{activity: drive, reached: null}` | Not billable | Undetermined |"
        in markdown
    )


def test_groups_are_worded_with_the_labels_staff_read_and_the_names_beside(
    clinic: Policy, edited: dict[str, Policy]
) -> None:
    diff = diff_policies(clinic, edited["allow-video"])
    lines = diff_text(diff).splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("outcomes change in "))
    credential, activity, mode = (
        clinic.fact_index[name] for name in ("provider_credential", "activity", "contact_mode")
    )
    counselor, call, video = (
        labels_of(clinic, "provider_credential", "counselor"),
        labels_of(clinic, "activity", "provider_call"),
        labels_of(clinic, "contact_mode", "video"),
    )
    assert lines[start + 1] == (
        f"  - {call} ({credential.label.lower()}: {counselor.lower()}; {mode.label.lower()}: {video.lower()}): "
        "Needs review → Billable  [1 combination]"
    )
    assert lines[start + 2] == "      {provider_credential: counselor, activity: provider_call, contact_mode: video}"
    assert activity.label


def labels_of(policy: Policy, fact: str, value: str) -> str:
    return next(v.label for v in policy.fact_index[fact].values if v.name == value)


def test_markdown_is_a_marked_comment_with_a_table(clinic: Policy, edited: dict[str, Policy]) -> None:
    text = diff_markdown(diff_policies(clinic, edited["window-21"]))
    assert text.splitlines()[0] == "<!-- billability-diff -->"
    assert "| Not billable | Billable |" in text


# --- the command, in real repositories ----------------------------------------------------------

# The folders diff unpacks revisions into, and where packages are installed. (Not the whole
# temporary folder: the checkout these tests run in may itself be in it, and a path the user
# typed is shown as typed.)
SHOWN_NEVER = (os.path.join(tempfile.gettempdir(), "billability-"), "site-packages")


def run(*arguments: str) -> tuple[int, str, str]:
    """Run `billability ARGUMENTS`; no output may show a temporary or installed path."""
    result = CliRunner().invoke(main, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for text in (result.stdout, result.stderr):
        assert not any(path in text for path in SHOWN_NEVER), text
    return result.exit_code, result.stdout, result.stderr


DIAGNOSTIC = re.compile(r"^\s*(?:- )?(\S+):(\d+):(\d+): error\[([\w.-]+)\]", re.MULTILINE)


def diagnostics(text: str) -> set[tuple[str, int, str]]:
    return {(m.group(1), int(m.group(2)), m.group(4)) for m in DIAGNOSTIC.finditer(text)}


def test_uncommitted_edits_are_compared(repository: Path) -> None:
    apply(repository, *WINDOW_21)
    status, output, _ = run("diff", "HEAD")
    assert status == 1
    assert output.splitlines()[0] == "policy diff HEAD -> working tree"
    (group,) = [
        n
        for n, line in enumerate(output.splitlines())
        if line.endswith(": Not billable → Billable  [1 combination x 7 values of days since discharge]")
    ]
    assert "days_since_discharge: {at_least: 15, at_most: 21}}" in output.splitlines()[group + 1]
    rule_line = lines_with(repository / "policy/rules/connection.yaml", "id: handoff-window")[0]
    assert f"changed handoff-window: when (policy/rules/connection.yaml:{rule_line}:5)" in output
    case_line = lines_with(repository / "corpus/cases.yaml", "15 days after discharge")[0]
    assert f"  - corpus/cases.yaml:{case_line}:5: A hand-off 15 days after discharge" in output
    # The committed state alone changes nothing.
    status, output, _ = run("diff", "HEAD", "HEAD")
    assert status == 0
    assert "no scenario changes outcome" in output


def test_two_revisions_are_compared_as_committed(repository: Path) -> None:
    apply(repository, *WINDOW_21)
    commit(repository, "window")
    apply(repository, *ALLOW_VIDEO)  # not committed: not part of HEAD
    status, output, _ = run("diff", "HEAD~1", "HEAD")
    assert status == 1
    assert output.splitlines()[0] == "policy diff HEAD~1 -> HEAD"
    assert "contact_mode is video" not in output
    assert re.search(r"changed handoff-window: when \(HEAD:policy/rules/connection\.yaml:\d+:5\)", output)
    assert re.search(r"^  - HEAD:corpus/cases\.yaml:\d+:5: A hand-off 15 days", output, re.MULTILINE)
    assert output.splitlines()[-1].startswith("HEAD:corpus/ against HEAD: ")
    status, markdown, _ = run("diff", "main~1", "main", "--format", "markdown")
    assert status == 1
    assert markdown.startswith("<!-- billability-diff -->\n### Policy diff: `main~1` → `main`")


@pytest.mark.parametrize(
    ("edits", "fact", "renamed"),
    [
        (RENAME_FACT, "note_documented", "fact documented -> note_documented (policy/facts.yaml:{line}:3)"),
        (RENAME_VALUE, "activity", "value activity: driving -> transport (policy/facts.yaml:{line}:3)"),
    ],
    ids=["fact", "value"],
)
def test_a_pure_rename_is_reported_and_exits_0(
    repository: Path, edits: tuple[Edit, ...], fact: str, renamed: str
) -> None:
    apply(repository, *edits)
    (line,) = lines_with(repository / "policy/facts.yaml", f"  {fact}:", exactly=True)
    status, output, errors = run("diff", "HEAD")
    assert (status, errors) == (0, "")
    lines = output.splitlines()
    assert lines[1].startswith("renamed (breaking for callers and data mappings")
    assert lines[2] == "  - " + renamed.format(line=line)
    assert lines[3] == "no scenario changes outcome (compared under the renames)"
    assert lines[-1].endswith(" 0 failed")


def test_a_rename_and_a_real_change_exits_1(repository: Path) -> None:
    apply(repository, *RENAME_FACT, *WINDOW_21)
    status, output, _ = run("diff", "main")
    assert status == 1
    assert "  - fact documented -> note_documented (" in output
    lines = output.splitlines()
    (group,) = [n for n, line in enumerate(lines) if " → Billable  [" in line]
    assert "note_documented: true" in lines[group + 1]
    assert "days_since_discharge: {at_least: 15, at_most: 21}" in lines[group + 1]


def test_cases_removed_and_added_are_listed_and_change_no_exit_status(repository: Path) -> None:
    cases = repository / "corpus/cases.yaml"
    removed_line = lines_with(cases, "- name: Driving a client is not billable")[0]
    apply(
        repository,
        (
            "corpus/cases.yaml",
            "- name: Driving a client is not billable",
            "- name: Driving a client to a clinic is not billable",
        ),
    )
    status, output, errors = run("diff", "HEAD")
    assert (status, errors) == (0, "")
    assert "no scenario changes outcome" in output
    lines = output.splitlines()
    removed = lines.index("corpus cases removed (what they pinned is no longer checked):")
    assert lines[removed + 1] == f"  - HEAD:corpus/cases.yaml:{removed_line}:5: Driving a client is not billable"
    assert lines[removed + 2] == "corpus cases added:"
    assert lines[removed + 3] == f"  - corpus/cases.yaml:{removed_line}:5: Driving a client to a clinic is not billable"
    assert lines[-1].endswith(" 0 failed; 1 case removed, 1 added")
    status, markdown, _ = run("diff", "HEAD", "--format", "markdown")
    assert status == 0
    assert (
        "#### Corpus cases removed (what they pinned is no longer checked)\n\n"
        f"- HEAD:corpus/cases.yaml:{removed_line}:5: Driving a client is not billable"
    ) in markdown
    # A corpus given in place of HEAD's own is not HEAD's corpus: nothing to compare it with.
    status, output, _ = run("diff", "HEAD", "--corpus", "corpus/cases.yaml")
    assert status == 0
    assert "removed" not in output and "added" not in output


def test_a_head_corpus_that_does_not_load_exits_2_located(repository: Path) -> None:
    apply(repository, *RENAME_FACT_IN_POLICY)  # the corpus still says `documented`
    cases = repository / "corpus/cases.yaml"
    expected = {("corpus/cases.yaml", n, "scenario.unknown-fact") for n in lines_with(cases, "documented: ")}
    expected |= {("corpus/cases.yaml", n, "corpus.unknown-fact") for n in lines_with(cases, "missing: [documented")}
    status, output, errors = run("diff", "HEAD")
    assert status == 2
    assert "fact documented -> note_documented" in output
    assert diagnostics(output) == expected
    assert errors.strip() == f"{len(expected)} errors: the corpus does not load"
    status, _, errors = run("diff", "HEAD", "--format", "markdown")
    assert status == 2
    assert diagnostics(errors) == expected


def test_a_base_corpus_that_does_not_load_exits_2_located(repository: Path) -> None:
    apply(repository, ("corpus/cases.yaml", "activity: driving}", "activity: drivng}"))
    commit(repository, "typo")
    apply(repository, ("corpus/cases.yaml", "activity: drivng}", "activity: driving}"))
    line = lines_with(repository / "corpus/cases.yaml", "activity: driving}")[0]
    status, output, _ = run("diff", "HEAD")
    assert status == 2
    assert diagnostics(output) == {("HEAD:corpus/cases.yaml", line, "scenario.unknown-value")}
    # HEAD's own corpus (the working tree's) loads and passes.
    assert output.splitlines()[-1].startswith("corpus/ against working tree: ")
    assert " 0 failed, and some files do not load" in output.splitlines()[-1]


def test_a_corpus_at_a_revision_that_does_not_load_is_located_there(repository: Path) -> None:
    (repository / "corpus" / "broken.yaml").write_text("cases:\n  - name: No facts\n", encoding="utf-8")
    commit(repository, "broken")
    status, output, _ = run("diff", "HEAD~1", "HEAD")
    assert status == 2
    assert {(file, code.split(".")[0]) for file, _, code in diagnostics(output)} == {
        ("HEAD:corpus/broken.yaml", "schema")
    }


def test_a_duplicate_rule_id_at_a_revision_is_located_there(repository: Path) -> None:
    duplicate = ("policy/rules/communication.yaml", "id: provider-call-video", "id: provider-call")
    apply(repository, duplicate)
    commit(repository, "duplicate id")
    first, second = lines_with(repository / duplicate[0], "  - id: provider-call", exactly=True)
    git(repository, "checkout", "HEAD~1", "--", duplicate[0])  # fixed in the working tree, not committed
    for arguments in (("HEAD~1", "HEAD"), ("HEAD",), ("HEAD", "HEAD~1")):
        status, output, errors = run("diff", *arguments)
        assert (status, output) == (2, "")
        assert diagnostics(errors) == {("HEAD:policy/rules/communication.yaml", second, "policy.duplicate-rule-id")}
        assert f"first at HEAD:policy/rules/communication.yaml:{first}:" in errors


def test_both_sides_policy_problems_are_reported_at_once(repository: Path) -> None:
    status, _, errors = run("diff", "no-such-branch", "no-such-tag")
    assert status == 2
    assert re.findall(r"^(\S+): error\[diff\.unknown-policy\]", errors, re.MULTILINE) == [
        "no-such-branch",
        "no-such-tag",
    ]


# --- folders (moved from the maintainer command tests) -------------------------------------------


def test_a_folder_against_itself_exits_0(clinic_cases: list[object]) -> None:
    status, output, _ = run("diff", str(CLINIC / "policy"), str(CLINIC / "policy"))
    assert status == 0
    assert "no scenario changes outcome" in output
    assert output.splitlines()[-1].endswith(f": {len(clinic_cases)} passed, 0 failed")


@pytest.mark.parametrize("edits", [WINDOW_21, ALLOW_VIDEO], ids=["window", "video"])
def test_a_folder_with_a_real_edit_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edits: tuple[Edit, ...]
) -> None:
    checkout(tmp_path / "edited", *edits)
    monkeypatch.chdir(tmp_path)
    status, output, _ = run("diff", str(CLINIC / "policy"), "edited/policy")
    assert status == 1
    assert re.search(r"^  - .+: (Not billable|Needs review) → Billable  \[\d+ combinations?", output, re.MULTILINE)
    status, markdown, _ = run("diff", str(CLINIC / "policy"), "edited/policy", "--format", "markdown")
    assert status == 1
    assert markdown.startswith("<!-- billability-diff -->")


def test_the_corpus_given_replaces_heads_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkout(tmp_path / "edited", *WINDOW_21)
    monkeypatch.chdir(tmp_path)
    late = "  - name: Late\n    facts: {provider_credential: counselor, activity: handoff, documented: true, days_since_discharge: 20}\n    expect: {outcome: not_billable, rules: [handoff-window]}\n"
    driving = "  - name: Driving\n    facts: {provider_credential: counselor, activity: driving}\n    expect: {outcome: not_billable, rules: [driving]}\n"
    Path("late.yaml").write_text("cases:\n" + late, encoding="utf-8")
    Path("driving.yaml").write_text("cases:\n" + driving, encoding="utf-8")
    _, output, _ = run("diff", str(CLINIC / "policy"), "edited", "--corpus", "late.yaml")
    assert "corpus cases that fail with the change:\n  - late.yaml:2:5: Late" in output
    assert output.splitlines()[-1] == "late.yaml against edited: 0 passed, 1 failed"
    _, output, _ = run("diff", str(CLINIC / "policy"), "edited", "--corpus", "driving.yaml")
    assert "corpus cases that fail" not in output


def test_an_unknown_revision_or_folder_exits_2(repository: Path) -> None:
    status, _, errors = run("diff", "no-such-revision-or-folder")
    assert status == 2
    assert "no-such-revision-or-folder: error[diff.unknown-policy]" in errors


def test_the_help_shows_both_forms() -> None:
    status, output, _ = run("diff", "--help")
    assert status == 0
    assert "billability diff main\n" in output and "billability diff origin/main HEAD\n" in output
