"""Dumping a compiled policy gives YAML that compiles back to the same rules, for the
clinic fixture and for the checkout's policy (the file names are the policy's own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from billability.model.policy import All, AnyOf, Compare, Condition, Fact, Is, Not, OneOf, Range
from billability.policy.compile import compile_texts
from billability.policy.compiled import Policy
from billability.policy.dump import dump_condition, dump_policy
from billability.policy.source import iter_yaml_files
from policy_texts import CHECKOUT, CLINIC

# The fixture name of each policy, and the folder it was read from.
LOADED = [("clinic", CLINIC / "policy"), ("policy", CHECKOUT / "policy")]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Is("activity", "driving"), {"activity": "driving"}),
        (OneOf("contact_mode", ("email", "voicemail")), {"contact_mode": ["email", "voicemail"]}),
        (Compare("days_since_discharge", "more_than", 14), {"days_since_discharge": {"more_than": 14}}),
        (
            Range((Compare("days_since_discharge", "more_than", 30), Compare("days_since_discharge", "at_most", 45))),
            {"days_since_discharge": {"more_than": 30, "at_most": 45}},
        ),
        (Is("visits", 3), {"visits": 3}),
        (
            All((Is("activity", "handoff"), Is("documented", False))),
            {"activity": "handoff", "documented": False},
        ),
        (All((Is("activity", "handoff"),)), {"all": [{"activity": "handoff"}]}),
        (
            All((Not(Is("documented", True)), Not(Is("provider_credential", "counselor")))),
            {"all": [{"not": {"documented": True}}, {"not": {"provider_credential": "counselor"}}]},
        ),
        (
            All((All((Is("documented", True), Is("activity", "handoff"))), Is("provider_credential", "peer"))),
            {"all": [{"documented": True, "activity": "handoff"}, {"provider_credential": "peer"}]},
        ),
        (AnyOf((Is("documented", True),)), {"any": [{"documented": True}]}),
    ],
)
def test_each_condition_form_dumps_as_the_yaml_that_compiles_to_it(condition: Condition, expected: object) -> None:
    assert dump_condition(condition) == expected


def _file_names(folder: Path) -> list[str]:
    """The policy's own YAML files on disk (its released versions left out), named relative to its folder."""
    return sorted(path.relative_to(folder).as_posix() for path in iter_yaml_files(folder))


def _declared(fact: Fact) -> tuple[object, ...]:
    # `relevant_when` compared as the YAML it dumps to: an `always` keeps its location.
    return (
        fact.name,
        fact.type,
        fact.label,
        fact.question,
        fact.values,
        fact.minimum,
        fact.maximum,
        dump_condition(fact.relevant_when),
    )


@pytest.mark.parametrize(("loaded", "folder"), LOADED, ids=[name for name, _ in LOADED])
def test_a_policy_round_trips_rule_for_rule_into_its_own_files(
    request: pytest.FixtureRequest, loaded: str, folder: Path
) -> None:
    policy: Policy = request.getfixturevalue(loaded)
    texts = dump_policy(policy)
    assert sorted(texts) == _file_names(folder)
    assert "policy.yaml" in texts and "facts.yaml" in texts
    reloaded = compile_texts(texts, policy.source_text)
    assert reloaded.rules == policy.rules
    assert [_declared(fact) for fact in reloaded.facts] == [_declared(fact) for fact in policy.facts]
    assert (reloaded.precedence, reloaded.default_outcome, reloaded.default_reason) == (
        policy.precedence,
        policy.default_outcome,
        policy.default_reason,
    )
    assert reloaded.topics == policy.topics
    # every rule stays in the file it came from
    assert {rule.id: Path(rule.location.file).name for rule in reloaded.rules if rule.location} == {
        rule.id: Path(rule.location.file).name for rule in policy.rules if rule.location
    }


def test_the_fixture_dumps_into_its_rule_files(clinic: Policy) -> None:
    assert sorted(dump_policy(clinic)) == [
        "facts.yaml",
        "policy.yaml",
        "rules/communication.yaml",
        "rules/connection.yaml",
        "rules/credential.yaml",
    ]


@pytest.mark.parametrize("loaded", [name for name, _ in LOADED])
def test_rules_can_be_placed_in_other_files(request: pytest.FixtureRequest, loaded: str) -> None:
    policy: Policy = request.getfixturevalue(loaded)
    texts = dump_policy(policy, {rule.id: "all-rules.yaml" for rule in policy.rules})
    assert sorted(texts) == ["all-rules.yaml", "facts.yaml", "policy.yaml"]
    assert compile_texts(texts, policy.source_text).rules == policy.rules
