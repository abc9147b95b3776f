"""Outcome changes in staff words: every statement holds for every scenario of its
region (its change, or not billable before and after), every changed scenario is in a
statement of its change, and the words are the fixture's labels. Edits are made to
copies of the clinic fixture."""

from __future__ import annotations

import itertools
import shutil
import sys
from pathlib import Path

import pytest

from billability import Outcome, Policy, load_policy
from billability.decide import regions
from billability.decide.regions import Leaf, Restriction, Space, space_of
from billability.history.changes import (
    Statement,
    changes_between,
    rename_text,
    scenario_words,
    statement_text,
    transition_text,
)
from billability.model.diagnostics import ScenarioError
from billability.model.policy import Value
from history_repos import ADD_NURSE, RENAME_VALUE, VIDEO_NOT_BILLABLE, WINDOW_21, Edit, apply
from policy_texts import CLINIC


def edited(tmp_path: Path, *edits: Edit) -> Policy:
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    apply(root, *edits)
    return load_policy(root / "policy")


def test_the_changes_partition_the_joint_space_once(
    clinic: Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One partition of both policies' scenarios gives every statement: the changes are
    not read from a whole diff, which partitions again to count its groups."""
    head = edited(tmp_path, *WINDOW_21)
    partition = regions.partition
    spaces: list[Space] = []

    def counted(space: Space, judge: regions.Judge) -> tuple[Leaf, ...]:
        spaces.append(space)
        return partition(space, judge)

    for module in [module for name, module in sys.modules.items() if name.startswith("billability")]:
        if getattr(module, "partition", None) is partition:
            monkeypatch.setattr(module, "partition", counted)
    changes = changes_between(clinic, head)
    assert changes.statements
    assert len(spaces) == 1


# --- what each statement claims holds for every scenario ---------------------------------------

EDITS = {
    "video-not-billable": VIDEO_NOT_BILLABLE,
    "window-21": WINDOW_21,
    "rename-value": RENAME_VALUE,
    "rename-and-window": RENAME_VALUE + WINDOW_21,
    "add-nurse": ADD_NURSE,
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
    head = edited(tmp_path, *EDITS[name])
    changes = changes_between(clinic, head)
    assert changes.problem is None
    base = changes.base
    assert base is not None
    space = space_of(base, head)
    changed = 0
    for values in itertools.product(*(space.pieces[fact] for fact in space.facts)):
        scenario = {fact: piece.value for fact, piece in zip(space.facts, values, strict=True)}
        before, after = outcome(base, scenario), outcome(head, scenario)
        for statement in changes.statements:
            if inside(statement.restrictions, scenario):
                # Inside a statement: its change, or (for a change of answer, not a new
                # or removed one) not billable before and after.
                allowed = {(statement.before, statement.after)}
                if statement.before is not None and statement.after is not None:
                    allowed.add((Outcome.NOT_BILLABLE, Outcome.NOT_BILLABLE))
                assert (before, after) in allowed, (statement_text(statement, head, base), scenario)
        if before != after:
            changed += 1
            assert any(
                inside(s.restrictions, scenario) and (s.before, s.after) == (before, after) for s in changes.statements
            ), scenario
    assert (changed > 0) == bool(changes.statements)
    assert (changed == 0) == name.startswith("rename-value")


def test_statements_are_fewer_than_the_diff_groups_when_conditions_only_made_the_old_answer(
    clinic: Policy, tmp_path: Path
) -> None:
    head = edited(tmp_path, *VIDEO_NOT_BILLABLE)
    (statement,) = changes_between(clinic, head).statements
    # The credential made no difference to the old answer's change: it is not named.
    assert {r.fact for r in statement.restrictions} == {"activity", "contact_mode"}
    assert statement == Statement(
        (Restriction("activity", ("provider_call",)), Restriction("contact_mode", ("video",))),
        Outcome.NEEDS_REVIEW,
        Outcome.NOT_BILLABLE,
    )


# --- the words -----------------------------------------------------------------------------------


def test_a_new_value_gives_new_answers(clinic: Policy, tmp_path: Path) -> None:
    head = edited(tmp_path, *ADD_NURSE)
    texts = [statement_text(s, head) for s in changes_between(clinic, head).statements]
    nurse = next(v.label for v in head.fact_index["provider_credential"].values if v.name == "nurse")
    assert texts
    assert all(f"{head.fact_index['provider_credential'].label.lower()}: {nurse.lower()}" in text for text in texts)
    assert all(text.endswith("(a new answer)") for text in texts)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (Outcome.BILLABLE, Outcome.NOT_BILLABLE, "Billable → Not billable"),
        (Outcome.NEEDS_REVIEW, Outcome.BILLABLE, "Needs review → Billable"),
        (None, Outcome.BILLABLE, "Billable (a new answer)"),
        (Outcome.NOT_BILLABLE, None, "no longer an answer (was Not billable)"),
    ],
)
def test_transitions(before: Outcome | None, after: Outcome | None, expected: str) -> None:
    assert transition_text(before, after) == expected


def statement(*restrictions: Restriction) -> Statement:
    return Statement(restrictions, Outcome.BILLABLE, Outcome.NOT_BILLABLE)


def labels(policy: Policy, fact: str, *values: str) -> list[str]:
    found = {v.name: v.label for v in policy.fact_index[fact].values}
    return [found[value] for value in values]


def test_scenario_words(clinic: Policy) -> None:
    activity = clinic.fact_index["activity"]
    mode = clinic.fact_index["contact_mode"]
    days = clinic.fact_index["days_since_discharge"]
    documented = clinic.fact_index["documented"]
    handoff, benefits = labels(clinic, "activity", "handoff", "benefits")
    phone, voicemail, email = labels(clinic, "contact_mode", "phone", "voicemail", "email")
    cases = {
        # The activity leads; another fact follows in parentheses, its values by label.
        statement(Restriction("activity", ("handoff",)), Restriction("contact_mode", ("phone", "voicemail"))): (
            f"{handoff} ({mode.label.lower()}: {phone.lower()} or {voicemail.lower()})"
        ),
        # Most of a fact's values: said as what it is not.
        statement(Restriction("contact_mode", ("phone", "voicemail", "video"))): (
            f"Any {activity.label.lower()} ({mode.label.lower()}: anything but {email.lower()})"
        ),
        statement(Restriction("activity", ("handoff", "driving", "provider_call", "other"))): (
            f"Any {activity.label.lower()} but {benefits.lower()}"
        ),
        statement(
            Restriction("activity", ("handoff",)),
            Restriction("documented", (False,)),
            Restriction("days_since_discharge", low=15, integer=True),
        ): f"{handoff} ({documented.label.lower()}: no; {days.label.lower()}: 15 or more)",
        statement(Restriction("days_since_discharge", low=0, high=14, integer=True)): (
            f"Any {activity.label.lower()} ({days.label.lower()}: 14 or fewer)"
        ),
        statement(Restriction("days_since_discharge", low=15, high=21, integer=True)): (
            f"Any {activity.label.lower()} ({days.label.lower()}: 15 to 21)"
        ),
        statement(): f"Any {activity.label.lower()}",
    }
    for change, words in cases.items():
        assert statement_text(change, clinic) == f"{words}: Billable → Not billable"


def test_abbreviations_keep_their_capitals(clinic: Policy, tmp_path: Path) -> None:
    head = edited(
        tmp_path,
        ("policy/facts.yaml", "label: Phone", "label: PSTN phone"),
        ("policy/facts.yaml", "label: How the contact was made", "label: SUD contact mode"),
    )
    text = statement_text(statement(Restriction("contact_mode", ("phone", "email"))), head)
    assert text.startswith(f"Any {head.fact_index['activity'].label.lower()} (SUD contact mode: PSTN phone or email):")


def test_a_renamed_fact_with_a_new_label(clinic: Policy, tmp_path: Path) -> None:
    head = edited(
        tmp_path,
        ("policy/facts.yaml", "  documented:\n", "  note_documented:\n"),
        ("policy/facts.yaml", "label: Documented\n", "label: Documented in a note\n"),
        ("policy/rules/connection.yaml", "documented: false", "note_documented: false"),
    )
    changes = changes_between(clinic, head)
    assert not changes.statements and changes.base is not None
    (rename,) = changes.renames
    old = clinic.fact_index["documented"].label
    assert rename_text(rename, head, changes.base) == f"“{old}” to “Documented in a note”"


def test_a_condition_another_question_implies_goes_without_saying(clinic: Policy, tmp_path: Path) -> None:
    # Days since discharge asked only of documented hand-offs: naming the days says "documented".
    head = edited(
        tmp_path,
        (
            "policy/facts.yaml",
            "question: How many days after discharge did the hand-off happen?\n    relevant_when:\n      activity: handoff",
            "question: How many days after discharge did the hand-off happen?\n    relevant_when:\n"
            "      activity: handoff\n      documented: true",
        ),
    )
    days, documented = head.fact_index["days_since_discharge"], head.fact_index["documented"]
    handoff = Restriction("activity", ("handoff",))
    (label,) = labels(head, "activity", "handoff")
    window = Restriction("days_since_discharge", low=15, high=21, integer=True)
    assert statement_text(statement(handoff, Restriction("documented", (True,)), window), head) == (
        f"{label} ({days.label.lower()}: 15 to 21): Billable → Not billable"
    )
    # Without the days, the documentation is the whole condition.
    assert statement_text(statement(handoff, Restriction("documented", (True,))), head) == (
        f"{label} ({documented.label.lower()}: yes): Billable → Not billable"
    )
    # In the fixture as it is, the days are asked whatever the documentation: both are named.
    assert statement_text(statement(handoff, Restriction("documented", (True,)), window), clinic) == (
        f"{label} ({documented.label.lower()}: yes; {days.label.lower()}: 15 to 21): Billable → Not billable"
    )


def test_facts_left_blank_are_not_known(clinic: Policy) -> None:
    activity, documented = clinic.fact_index["activity"], clinic.fact_index["documented"]
    days, mode = clinic.fact_index["days_since_discharge"], clinic.fact_index["contact_mode"]
    (handoff,) = labels(clinic, "activity", "handoff")
    phone, email = labels(clinic, "contact_mode", "phone", "email")
    cases = {
        (Restriction("activity", (None,)),): f"{activity.label} not known",
        (Restriction("activity", ("handoff", None)), Restriction("documented", (True, None))): (
            f"{handoff}, or {activity.label.lower()} not known ({documented.label.lower()}: yes or not known)"
        ),
        (Restriction("activity", ("handoff",)), Restriction("days_since_discharge", (None,), integer=True)): (
            f"{handoff} ({days.label.lower()}: not known)"
        ),
        (Restriction("contact_mode", ("phone", "email", None)),): (
            f"Any {activity.label.lower()} ({mode.label.lower()}: {phone.lower()}, {email.lower()} or not known)"
        ),
    }
    for restrictions, words in cases.items():
        assert scenario_words(restrictions, clinic) == words
