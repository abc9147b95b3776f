"""Renames: a fact or value removed and added with the same type, values and uses is
found as a rename, exactly when the pairing is unambiguous; and BASE translated into
HEAD's names decides every scenario as HEAD does after a pure rename."""

from __future__ import annotations

import pytest

from billability import Policy, load_policy
from billability.decide.table import decision_table
from billability.history.renames import Rename, find_renames, renamed_policy
from policy_texts import CLINIC, FACTS, rule, small_policy

TALK = rule("talk", "billable", "activity: talk")
UNREACHED = rule("unreached", "not_billable", "reached: false")
LONG = rule("long", "needs_review", "minutes: {more_than: 60}")
BASE = (TALK, UNREACHED, LONG)


def renamed(text: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in text, f"{old!r} is not in the text"
        text = text.replace(old, new)
    return text


def found(base: Policy, head: Policy) -> list[tuple[str | None, str, str]]:
    return [(r.fact, r.old, r.new) for r in find_renames(base, head)]


@pytest.mark.parametrize(
    ("head_facts", "head_rules", "expected"),
    [
        pytest.param(FACTS, BASE, [], id="nothing renamed"),
        pytest.param(
            renamed(FACTS, ("  reached:", "  contact_reached:")),
            (TALK, renamed(UNREACHED, ("reached:", "contact_reached:")), LONG),
            [(None, "reached", "contact_reached")],
            id="a boolean fact",
        ),
        pytest.param(
            renamed(FACTS, ("  minutes:", "  duration:")),
            (TALK, UNREACHED, renamed(LONG, ("minutes:", "duration:"))),
            [(None, "minutes", "duration")],
            id="a whole-number fact",
        ),
        pytest.param(
            renamed(FACTS, ("  activity:", "  task:")),
            (renamed(TALK, ("activity:", "task:")), UNREACHED, LONG),
            [(None, "activity", "task")],
            id="an enum fact",
        ),
        pytest.param(
            renamed(FACTS, ("talk: {label: Talk}", "speak: {label: Speak}")),
            (renamed(TALK, ("activity: talk", "activity: speak")), UNREACHED, LONG),
            [("activity", "talk", "speak")],
            id="a value",
        ),
        pytest.param(
            renamed(FACTS, ("write: {label: Write}", "compose: {label: Write}")),
            BASE,
            [("activity", "write", "compose")],
            id="a value no rule uses, the only one changed",
        ),
        pytest.param(
            renamed(FACTS, ("write: {label: Write}", "compose: {label: Write}"), ("drive: {", "ride: {")),
            BASE,
            [],
            id="two values no rule uses: ambiguous",
        ),
        pytest.param(
            renamed(FACTS, ("  reached:", "  contact_reached:")),
            (TALK, rule("unreached", "not_billable", "contact_reached: true"), LONG),
            [],
            id="a fact whose use changed",
        ),
        pytest.param(
            renamed(FACTS, ("  reached:", "  contact_reached:")),
            (TALK, rule("unreached", "needs_review", "contact_reached: false"), LONG),
            [(None, "reached", "contact_reached")],
            id="a fact renamed in a rule that changed otherwise",
        ),
        pytest.param(
            renamed(FACTS, ("  minutes:", "  duration:"), ("minimum: 0", "minimum: 1")),
            (TALK, UNREACHED, renamed(LONG, ("minutes:", "duration:"))),
            [],
            id="a fact whose range changed",
        ),
        pytest.param(
            renamed(FACTS, ("  activity:", "  task:"), ("      write: {label: Write}\n", "")),
            (renamed(TALK, ("activity:", "task:")), UNREACHED, LONG),
            [],
            id="a fact whose values changed",
        ),
        pytest.param(
            renamed(FACTS, ("talk: {label: Talk}", "speak: {label: Speak}")),
            (rule("talk", "billable", "activity: [speak, drive]"), UNREACHED, LONG),
            [],
            id="a value whose use changed",
        ),
    ],
)
def test_renames_are_found_exactly(head_facts: str, head_rules: tuple[str, ...], expected: list[object]) -> None:
    base, head = small_policy(*BASE), small_policy(*head_rules, facts=head_facts)
    assert found(base, head) == expected


def test_two_facts_alike_but_used_apart_are_both_found() -> None:
    facts = (
        FACTS + "  urgent:\n    type: boolean\n    label: Urgent\n    question: Urgent?\n    relevant_when: always\n"
    )
    base = small_policy(TALK, UNREACHED, rule("urgent", "needs_review", "urgent: true"), facts=facts)
    head = small_policy(
        TALK,
        rule("unreached", "not_billable", "was_reached: false"),
        rule("urgent", "needs_review", "is_urgent: true"),
        facts=renamed(facts, ("  reached:", "  was_reached:"), ("  urgent:", "  is_urgent:")),
    )
    assert sorted(found(base, head)) == [(None, "reached", "was_reached"), (None, "urgent", "is_urgent")]


def test_a_fact_named_in_another_renamed_facts_relevant_when_is_found() -> None:
    # `reached` matters only for talk; renaming both facts keeps the same `relevant_when`.
    facts = FACTS.replace(
        "    question: Reached?\n    relevant_when: always",
        "    question: Reached?\n    relevant_when:\n      activity: talk",
    )
    # `  activity:` also renames the `relevant_when` of `reached` to `task: talk`.
    head_facts = renamed(facts, ("  activity:", "  task:"), ("  reached:", "  contact_reached:"))
    base = small_policy(TALK, UNREACHED, facts=facts)
    head = small_policy(
        renamed(TALK, ("activity:", "task:")),
        renamed(UNREACHED, ("reached:", "contact_reached:")),
        facts=head_facts,
    )
    assert sorted(found(base, head), key=str) == [(None, "activity", "task"), (None, "reached", "contact_reached")]


def test_several_values_renamed_in_one_list_are_each_found() -> None:
    base = small_policy(rule("moving", "billable", "activity: [talk, drive]"), UNREACHED)
    head = small_policy(
        rule("moving", "billable", "activity: [speak, ride]"),
        UNREACHED,
        facts=renamed(FACTS, ("talk: {", "speak: {"), ("drive: {", "ride: {")),
    )
    assert found(base, head) == [("activity", "talk", "speak"), ("activity", "drive", "ride")]


def test_a_rename_is_located_where_head_declares_the_fact() -> None:
    base = small_policy(*BASE)
    head = small_policy(
        TALK,
        renamed(UNREACHED, ("reached:", "contact_reached:")),
        LONG,
        facts=renamed(FACTS, ("  reached:", "  contact_reached:")),
    )
    (rename,) = find_renames(base, head)
    assert rename == Rename("reached", "contact_reached", None, head.fact_index["contact_reached"].location)
    assert rename.kind == "fact"


# --- translating BASE into HEAD's names, on the clinic fixture -----------------------------


def copy_with(tmp_path: pytest.TempPathFactory, *edits: tuple[str, str, str]) -> Policy:
    import shutil

    root = tmp_path.mktemp("clinic") / "policy"
    shutil.copytree(CLINIC / "policy", root)
    for file, old, new in edits:
        path = root / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8")
    return load_policy(root)


FACT_RENAME = (
    ("facts.yaml", "  documented:\n", "  note_documented:\n"),
    ("rules/connection.yaml", "documented: false", "note_documented: false"),
)
VALUE_RENAME = (
    ("facts.yaml", "      driving:\n", "      transport:\n"),
    ("rules/connection.yaml", "activity: driving", "activity: transport"),
)


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        (FACT_RENAME, [(None, "documented", "note_documented")]),
        (VALUE_RENAME, [("activity", "driving", "transport")]),
        (FACT_RENAME + VALUE_RENAME, [(None, "documented", "note_documented"), ("activity", "driving", "transport")]),
    ],
    ids=["fact", "value", "both"],
)
def test_the_translated_base_decides_every_region_as_head(
    clinic: Policy,
    tmp_path_factory: pytest.TempPathFactory,
    edits: tuple[tuple[str, str, str], ...],
    expected: list[object],
) -> None:
    head = copy_with(tmp_path_factory, *edits)
    renames = find_renames(clinic, head)
    assert [(r.fact, r.old, r.new) for r in renames] == expected
    translated = renamed_policy(clinic, renames)
    assert decision_table(translated).regions == decision_table(head).regions
    assert [f.name for f in translated.facts] == [f.name for f in head.facts]
    # Untranslated, the two policies are not alike: the test above could fail.
    assert decision_table(clinic).regions != decision_table(head).regions


def test_no_renames_leave_the_policy_as_it_is(clinic: Policy) -> None:
    assert renamed_policy(clinic, ()) is clinic
