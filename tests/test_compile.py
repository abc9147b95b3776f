"""Compiling the policy: the bundled one is valid; each mistake a maintainer can make
is reported with its code and location, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from billability import Outcome, Policy, load_policy
from billability.compile import compile_texts
from billability.diagnostics import Problems
from billability.model import All, Compare, FactType, Is, Not, OneOf
from conftest import EditPolicy


def test_the_bundled_policy_compiles(policy: Policy) -> None:
    assert policy.id == "case-management"
    assert [fact.name for fact in policy.facts] == [
        "provider_credential",
        "activity",
        "contact_mode",
        "contact_successful",
        "medically_necessary",
        "documented",
        "after_discharge",
        "days_since_discharge",
    ]
    assert policy.precedence == (Outcome.NOT_BILLABLE, Outcome.NEEDS_REVIEW, Outcome.BILLABLE)
    assert len({rule.id for rule in policy.rules}) == len(policy.rules) == 26


def test_the_fact_vocabulary_is_the_contracted_one(policy: Policy) -> None:
    facts = policy.fact_index
    assert facts["provider_credential"].value_names == (
        "registered_sud_counselor",
        "certified_sud_counselor",
        "lpha",
        "peer_support_specialist",
        "other_staff",
    )
    assert set(facts["activity"].value_names) == {
        "benefits_enrollment", "benefits_transfer", "resource_linkage", "warm_handoff",
        "loc_transition", "health_care_coordination", "social_services_coordination",
        "provider_communication", "service_follow_up", "advocacy",
        "transportation", "moving_assistance", "client_search", "no_show_outreach",
        "waiting_during_appointment", "documentation_outside_note", "data_entry", "other",
    }  # fmt: skip
    assert facts["contact_mode"].value_names == (
        "face_to_face", "phone", "video", "email", "written_report", "voicemail", "text_message",
    )  # fmt: skip
    for name in ("contact_successful", "medically_necessary", "documented", "after_discharge"):
        assert facts[name].type is FactType.BOOLEAN
    assert facts["days_since_discharge"].type is FactType.INTEGER
    assert facts["days_since_discharge"].minimum == 0


def test_conditions_compile_to_their_forms(policy: Policy) -> None:
    window = policy.rule("warm-handoff-tcs-window").when
    assert isinstance(window, All)
    assert window.items[0] == Is("activity", "warm_handoff")
    assert window.items[2] == Compare("days_since_discharge", "more_than", 30)
    credential = policy.rule("credential-not-qualified").when
    assert isinstance(credential, Not) and isinstance(credential.item, OneOf)
    assert str(window.location).endswith("connection.yaml:71:7")


def diagnosed(root: Path) -> list[tuple[str, str]]:
    with pytest.raises(Problems) as raised:
        load_policy(root)
    return [(d.code, str(d.location).split("policy/")[-1]) for d in raised.value.diagnostics]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("rules/connection.yaml", "      activity: benefits_enrollment", "      activty: benefits_enrollment"),
         [("policy.unknown-fact", "rules/connection.yaml:7:7")]),
        (("rules/connection.yaml", "activity: benefits_transfer", "activity: benefit_transfer"),
         [("policy.unknown-value", "rules/connection.yaml:18:17")]),
        (("rules/connection.yaml", "medically_necessary: false", "medically_necessary: 0"),
         [("policy.type-mismatch", "rules/connection.yaml:50:28")]),
        (("rules/connection.yaml", "medically_necessary: false", "medically_necessary: {more_than: 3}"),
         [("policy.type-mismatch", "rules/connection.yaml:50:29")]),
        (("rules/connection.yaml", "more_than: 30", "more_than: true"),
         [("schema.type", "rules/connection.yaml:74:20")]),
        (("rules/connection.yaml", "medically_necessary: false", "medically_necessary: no"),
         [("policy.type-mismatch", "rules/connection.yaml:50:28")]),
        (("rules/connection.yaml", "id: benefits-transfer", "id: benefits-enrollment"),
         [("policy.duplicate-rule-id", "rules/connection.yaml:13:9")]),
        (("rules/connection.yaml", '"Assisting clients with applying for Medi-Cal."', '"Assisting clients with applying for MediCal."'),
         [("policy.quote-not-in-source", "rules/connection.yaml:11:9")]),
        (("rules/connection.yaml", "topic: connection", "topic: conection"),
         [("policy.unknown-topic", "rules/connection.yaml:4:12")]),
        (("rules/connection.yaml", "    outcome: billable", "    outcome: billible"),
         [("schema.enum", "rules/connection.yaml:5:14")]),
        (("rules/connection.yaml", "    reason: helping", "    reasons: helping"),
         [("schema.required", "rules/connection.yaml:2:5"), ("schema.unknown-key", "rules/connection.yaml:8:5")]),
        (("facts.yaml", "type: boolean\n    label: Medically", "type: bool\n    label: Medically"),
         [("schema.enum", "facts.yaml:119:11")]),
        (("policy.yaml", "source: sources/case", "source: sources/missing-"),
         [("policy.source-missing", "policy.yaml:6:11")]),
        (("policy.yaml", "precedence: [not_billable, needs_review, billable]", "precedence: [not_billable, billable, billable]"),
         [("schema.duplicate", "policy.yaml:8:15")]),
        (("facts.yaml", "        topic: unlisted", "        topic: unlisted_activities"),
         [("policy.unknown-topic", "facts.yaml:80:16")]),
        (("facts.yaml", "  documented:", "  all:"),
         [("schema.name", "facts.yaml:125:3")]),
        (("rules/connection.yaml", "    title: Transferring", "    title: Moving\n    title: Transferring"),
         [("yaml.duplicate-key", "rules/connection.yaml:15:5")]),
    ],
)  # fmt: skip
def test_each_mistake_is_located(
    edited_policy: EditPolicy, edit: tuple[str, str, str], expected: list[tuple[str, str]]
) -> None:
    assert diagnosed(edited_policy(*edit)) == expected


def test_every_mistake_in_every_file_is_reported_at_once(edited_policy: EditPolicy) -> None:
    root = edited_policy(
        "rules/connection.yaml", "activity: benefits_transfer", "activity: benefit_transfer",
        "rules/connection.yaml", "documented: false", "documentd: false",
        "rules/communication.yaml", "contact_mode: voicemail", "contact_mode: voice_mail",
        "rules/not-billable.yaml", "id: data-entry", "id: transportation",
    )  # fmt: skip
    codes = diagnosed(root)
    assert codes == [
        ("policy.unknown-value", "rules/communication.yaml:54:21"),
        ("policy.unknown-value", "rules/connection.yaml:18:17"),
        ("policy.unknown-fact", "rules/connection.yaml:61:7"),
        ("policy.duplicate-rule-id", "rules/not-billable.yaml:63:9"),
    ]


def test_hints_name_the_closest_choice(edited_policy: EditPolicy) -> None:
    root = edited_policy("rules/communication.yaml", "contact_mode: voicemail", "contact_mode: voice_mail")
    with pytest.raises(Problems) as raised:
        load_policy(root)
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.hint == "did you mean `voicemail`?"


def test_a_policy_needs_its_policy_section(edited_policy: EditPolicy) -> None:
    root = edited_policy()
    (root / "policy.yaml").unlink()
    codes = {code for code, _ in diagnosed(root)}
    assert "policy.missing-section" in codes


@pytest.mark.parametrize("name", ["nowhere", "empty-folder"])
def test_a_missing_policy_is_a_diagnostic(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    if name == "empty-folder":
        target.mkdir()
    with pytest.raises(Problems) as raised:
        load_policy(target)
    assert [d.code for d in raised.value.diagnostics] == ["file.not-found" if name == "nowhere" else "policy.no-files"]


def test_a_policy_can_be_compiled_from_texts(policy: Policy) -> None:
    texts = {
        "p.yaml": """
policy:
  id: tiny
  title: A tiny policy
  source: source.txt
  precedence: [not_billable, needs_review, billable]
  default: {outcome: needs_review, reason: nobody knows}
topics:
  all_topics: {title: Everything}
facts:
  paid:
    type: boolean
    label: Paid
    question: Was it paid?
    relevant_when: always
rules:
  - id: paid-is-billable
    title: Paid
    topic: all_topics
    outcome: billable
    when: {paid: true}
    reason: it was paid
    source: ["Billable"]
""",
    }
    tiny = compile_texts(texts, policy.source_text)
    assert tiny.evaluate({"paid": True}).outcome is Outcome.BILLABLE
    assert tiny.evaluate({"paid": False}).outcome is Outcome.NEEDS_REVIEW
    assert tiny.evaluate({"paid": False}).rules == ()
