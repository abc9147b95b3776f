"""Dumping a compiled policy gives YAML that compiles back to the same rules."""

from __future__ import annotations

import pytest

from billability.compile import compile_texts, load_policy
from billability.dump import dump_condition, dump_policy
from billability.model import All, AnyOf, Compare, Condition, Is, Not, OneOf

POLICY = load_policy()


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Is("activity", "advocacy"), {"activity": "advocacy"}),
        (OneOf("contact_mode", ("email", "voicemail")), {"contact_mode": ["email", "voicemail"]}),
        (Compare("days_since_discharge", "more_than", 30), {"days_since_discharge": {"more_than": 30}}),
        (
            All((Is("activity", "advocacy"), Is("contact_successful", False))),
            {"activity": "advocacy", "contact_successful": False},
        ),
        (All((Is("activity", "advocacy"),)), {"all": [{"activity": "advocacy"}]}),
        (
            All((Not(Is("documented", True)), Not(Is("medically_necessary", True)))),
            {"all": [{"not": {"documented": True}}, {"not": {"medically_necessary": True}}]},
        ),
        (
            All((All((Is("documented", True), Is("medically_necessary", True))), Is("activity", "advocacy"))),
            {"all": [{"documented": True, "medically_necessary": True}, {"activity": "advocacy"}]},
        ),
        (AnyOf((Is("documented", True),)), {"any": [{"documented": True}]}),
    ],
)
def test_each_condition_form_dumps_as_the_yaml_that_compiles_to_it(condition: Condition, expected: object) -> None:
    assert dump_condition(condition) == expected


def test_the_bundled_policy_round_trips_rule_for_rule() -> None:
    texts = dump_policy(POLICY)
    assert sorted(texts) == [
        "facts.yaml",
        "policy.yaml",
        "rules/communication.yaml",
        "rules/connection.yaml",
        "rules/coordination.yaml",
        "rules/credential.yaml",
        "rules/not-billable.yaml",
        "rules/unlisted.yaml",
    ]
    reloaded = compile_texts(texts, POLICY.source_text)
    assert reloaded.rules == POLICY.rules
    assert [f.name for f in reloaded.facts] == [f.name for f in POLICY.facts]
    assert (reloaded.precedence, reloaded.default_outcome) == (POLICY.precedence, POLICY.default_outcome)


def test_rules_can_be_placed_in_other_files() -> None:
    texts = dump_policy(POLICY, {rule.id: "all-rules.yaml" for rule in POLICY.rules})
    assert sorted(texts) == ["all-rules.yaml", "facts.yaml", "policy.yaml"]
    assert compile_texts(texts, POLICY.source_text).rules == POLICY.rules
