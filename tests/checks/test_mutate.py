"""Mutation testing on fixture policies: the mutants, equivalence by proof (checked against
brute force over every partial scenario), survivors with the case that kills them, the
refusal to judge mutants with a failing corpus, and the `mutate` command."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from billability.checks import strategies
from billability.checks.corpus import Case, load_cases, load_file
from billability.checks.distinguish import Comparison, compare, shown_decision, tell_apart
from billability.checks.mutate import Mutant, MutantResult, Status, corpus_case, meets, mutants, run_mutants
from billability.cli import main
from billability.decide.engine import decide
from billability.decide.regions import space_of
from billability.model.diagnostics import Location, Problems
from billability.model.policy import Always, Decision, Outcome, Value
from billability.policy.compile import compile_texts
from billability.policy.compiled import Policy
from billability.policy.dump import dump_policy
from policy_texts import CLINIC, FACTS, rule, small_policy


def mutant_named(policy: Policy, name: str) -> Mutant:
    found = {mutant.name: mutant for mutant in mutants(policy)}
    assert name in found, sorted(found)
    return found[name]


def fate(policy: Policy, cases: list[Case], name: str) -> MutantResult:
    report = run_mutants(policy, cases)
    return next(result for result in report.results if result.mutant.name == name)


# --- the mutants --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("rule handoff-window: days_since_discharge more than 14 -> 15", "rules/connection.yaml:42:9"),
        ("rule handoff-window: days_since_discharge more than 14 -> 13", "rules/connection.yaml:42:9"),
        ("rule handoff-undocumented: drop documented is false", "rules/connection.yaml:30:19"),
        ("rule handoff-undocumented: negate activity is handoff", "rules/connection.yaml:29:17"),
        ("rule not-a-counselor: negate not (provider_credential is counselor)", "rules/credential.yaml:8:9"),
        ("rule provider-call-voicemail-or-email: contact_mode without email", "rules/communication.yaml:20:21"),
        ("rule provider-call-voicemail-or-email: contact_mode also video", "rules/communication.yaml:20:21"),
        ("rule benefits: outcome billable -> needs_review", "rules/connection.yaml:2:5"),
        ("rule driving deleted", "rules/connection.yaml:47:5"),
        ("fact contact_mode relevant when: negate activity is provider_call", "facts.yaml:48:17"),
        ("fact provider_credential relevant when: always -> as for documented", "facts.yaml:11:20"),
        ("default outcome needs_review -> billable", "policy.yaml:9:14"),
        ("precedence: not_billable and needs_review swapped", "policy.yaml:7:15"),
    ],
)
def test_each_kind_of_mutant_is_named_in_the_policy_words_where_it_happens(
    clinic: Policy, name: str, where: str
) -> None:
    assert str(mutant_named(clinic, name).location).endswith(f"clinic/policy/{where}")


def test_mutant_names_are_unique_and_never_positions(clinic: Policy) -> None:
    names = [mutant.name for mutant in mutants(clinic)]
    assert len(names) == len(set(names))
    assert not [name for name in names if re.search(r"#\d|\[\d", name)]


def test_a_change_that_reads_the_same_twice_is_told_apart_by_the_condition_around_it() -> None:
    policy = small_policy(rule("either", "billable", "any:\n  - activity: talk\n  - not: {activity: talk}"))
    names = [mutant.name for mutant in mutants(policy)]
    assert "rule either: negate activity is talk (in any of (activity is talk; not (activity is talk)))" in names
    assert "rule either: negate activity is talk (in not (activity is talk))" in names


def test_a_fact_relevant_always_gets_the_relevance_of_each_other_fact_not_about_itself(clinic: Policy) -> None:
    copied = [m.name for m in mutants(clinic) if m.fact in ("provider_credential", "activity")]
    # `activity` is always relevant and every other declaration looks at `activity` itself.
    assert copied == [
        "fact provider_credential relevant when: always -> as for contact_mode",
        "fact provider_credential relevant when: always -> as for documented",
    ]


def all_mutants() -> Iterator[Mutant]:
    from billability.policy.compile import load_policy

    yield from mutants(load_policy(CLINIC / "policy"))


@pytest.mark.parametrize("mutant", list(all_mutants()), ids=lambda mutant: mutant.name)
def test_every_mutant_is_policy_text_a_maintainer_could_write(mutant: Mutant) -> None:
    written = compile_texts(dump_policy(mutant.policy), mutant.policy.source_text)
    assert written.rules == mutant.policy.rules
    assert (written.precedence, written.default_outcome) == (mutant.policy.precedence, mutant.policy.default_outcome)
    assert [f.relevant_when for f in written.facts if not isinstance(f.relevant_when, Always)] == [
        f.relevant_when for f in mutant.policy.facts if not isinstance(f.relevant_when, Always)
    ]


# --- equivalence by proof ------------------------------------------------------------------

SMALL = (
    rule("talk", "billable", "activity: [talk, write]"),
    rule("drive", "not_billable", "activity: drive"),
    rule("long", "needs_review", "minutes: {at_least: 60}"),
)

# `reached` is asked for talking and writing, but only talking depends on it.
RELEVANCE = (
    rule("talk", "billable", "activity: talk"),
    rule("talk-unreached", "not_billable", "activity: talk\nreached: false"),
    rule("write", "billable", "activity: write"),
)
RELEVANCE_FACTS = FACTS.replace(
    "question: Reached?\n    relevant_when: always", "question: Reached?\n    relevant_when: {activity: [talk, write]}"
)


@pytest.mark.parametrize(
    ("rules", "name", "equivalent"),
    [
        # Every other contact mode is decided by a rule of an outcome that takes precedence.
        (None, "rule provider-call: drop contact_mode is phone", True),
        (None, "precedence: needs_review and billable swapped", True),
        (None, "rule handoff-window: days_since_discharge more than 14 -> 15", False),
        (None, "default outcome needs_review -> not_billable", False),
        # Driving is not billable whatever `talk` says, and not billable takes precedence.
        (SMALL, "rule talk: activity also drive", True),
        (SMALL, "rule talk: activity without write", False),
        (SMALL, "rule long: minutes at least 60 -> 59", False),
        (SMALL, "precedence: not_billable and needs_review swapped", False),
        # A relevance declaration that still covers every question the policy needs.
        (RELEVANCE, "fact reached relevant when: activity also drive", True),
        (RELEVANCE, "fact reached relevant when: activity without write", True),
        (RELEVANCE, "fact reached relevant when: activity without talk", False),
        (RELEVANCE, "fact reached relevant when: negate activity is talk or write", False),
        (None, "fact provider_credential relevant when: always -> as for documented", False),
        (None, "fact documented relevant when: negate activity is handoff", False),
    ],
)
def test_a_mutant_is_equivalent_exactly_when_no_scenario_tells_it_apart(
    clinic: Policy, rules: tuple[str, ...] | None, name: str, equivalent: bool
) -> None:
    facts = RELEVANCE_FACTS if rules is RELEVANCE else FACTS
    policy = clinic if rules is None else small_policy(*rules, facts=facts)
    comparison = compare(policy, mutant_named(policy, name).policy)
    assert (tell_apart(comparison) is None) is equivalent
    assert (brute_force_difference(comparison) is None) is equivalent


def brute_force_difference(comparison: Comparison) -> dict[str, Value] | None:
    """Every scenario, each fact unknown or one value of each interval of the joint space:
    the first one where the variant shows a different outcome, rules or missing."""
    space = space_of(comparison.policy, comparison.variant)
    options = [[None, *(piece.value for piece in space.pieces[name])] for name in space.facts]
    for values in itertools.product(*options):
        facts = {name: value for name, value in zip(space.facts, values, strict=True) if value is not None}
        if seen(decide(comparison.policy, facts)) != seen(shown_decision(comparison, facts)):
            return facts
    return None


def seen(decision: Decision) -> tuple[Outcome, tuple[str, ...], tuple[str, ...]]:
    return decision.outcome, tuple(sorted(decision.rules)), decision.missing


def as_case(facts: dict[str, Value] | object, decision: Decision) -> Case:
    assert isinstance(facts, dict)
    undetermined = decision.outcome is Outcome.UNDETERMINED
    return Case(
        "witness",
        facts,
        decision.outcome,
        None if undetermined else decision.rules,
        decision.missing if undetermined else None,
        None,
        Location("witness.yaml"),
    )


@st.composite
def policies_and_mutants(draw: st.DrawFn) -> Comparison:
    policy = draw(strategies.policies("Talk to the client.", "Talk to the client."))
    if len(policy.facts) > 1 and draw(st.booleans()):
        # Give one fact a `relevant_when` over the others, so relevance mutants appear too.
        target, *others = policy.facts
        declared = draw(strategies.conditions(tuple(others)))
        policy = replace(policy, facts=(replace(target, relevant_when=declared), *others))
    return compare(policy, draw(st.sampled_from(mutants(policy))).policy)


@given(policies_and_mutants())
def test_the_proof_agrees_with_brute_force_over_every_partial_scenario(comparison: Comparison) -> None:
    witness = tell_apart(comparison)
    if witness is None:
        assert brute_force_difference(comparison) is None
    else:
        case = as_case(dict(witness.facts), decide(comparison.policy, witness.facts))
        assert meets(case, decide(comparison.policy, witness.facts))
        assert not meets(case, shown_decision(comparison, witness.facts))


def test_partial_scenarios_are_compared_where_three_valued_truth_is_not_exact() -> None:
    # `any: [talk, not talk]` always holds, but is unknown while the activity is: dropping it
    # changes no complete scenario, yet a hand-off of what is known cites other rules.
    policy = small_policy(
        rule("reached", "billable", "reached: true\nany:\n  - activity: talk\n  - not: {activity: talk}"),
        rule("long", "billable", "minutes: {at_least: 10}"),
    )
    comparison = compare(
        policy, mutant_named(policy, "rule reached: drop any of (activity is talk; not (activity is talk))").policy
    )
    witness = tell_apart(comparison)
    assert witness is not None
    assert dict(witness.facts) == {"reached": True}
    assert (witness.policy.outcome, witness.policy.rules) == (Outcome.BILLABLE, ("long", "reached"))
    assert (witness.variant.outcome, witness.variant.rules) == (Outcome.BILLABLE, ("reached",))


def test_a_killed_mutant_is_never_proved_equivalent(clinic: Policy, clinic_cases: list[Case]) -> None:
    report = run_mutants(clinic, clinic_cases)
    killed = [result for result in report.results if result.status is Status.KILLED]
    assert killed
    for result in killed:
        assert result.killed_by is not None
        assert not meets(
            result.killed_by, shown_decision(compare(clinic, result.mutant.policy), result.killed_by.facts)
        )
        assert tell_apart(compare(clinic, result.mutant.policy)) is not None


# --- relevance -----------------------------------------------------------------------------


def test_a_relevance_mutant_that_hides_a_needed_question_is_told_apart_by_a_partial_scenario(clinic: Policy) -> None:
    comparison = compare(
        clinic, mutant_named(clinic, "fact contact_mode relevant when: negate activity is provider_call").policy
    )
    witness = tell_apart(comparison)
    assert witness is not None
    assert dict(witness.facts) == {"activity": "provider_call"}
    assert witness.policy.outcome is witness.variant.outcome is Outcome.UNDETERMINED
    assert "contact_mode" in witness.policy.missing and "contact_mode" not in witness.variant.missing


def test_a_relevance_mutant_never_changes_an_outcome_or_the_rules(clinic: Policy) -> None:
    for mutant in mutants(clinic):
        if mutant.fact is None:
            continue
        comparison = compare(clinic, mutant.policy)
        for facts in ({"activity": "provider_call"}, {"provider_credential": "counselor", "activity": "handoff"}):
            first, second = decide(clinic, facts), shown_decision(comparison, facts)
            assert (first.outcome, first.rules) == (second.outcome, second.rules)


# --- survivors and the case to paste ----------------------------------------------------------


def test_a_survivor_comes_with_a_case_that_the_corpus_reads_and_that_kills_it(
    clinic: Policy, clinic_cases: list[Case], tmp_path: Path
) -> None:
    report = run_mutants(clinic, clinic_cases)
    assert report.survivors
    for result in report.survivors:
        assert result.witness is not None
        corpus = tmp_path / "pasted.yaml"
        corpus.write_text("cases:\n" + corpus_case(result.witness) + "\n", encoding="utf-8")
        (pasted,) = load_file(corpus, clinic)
        assert dict(pasted.facts) == dict(result.witness.facts)
        assert meets(pasted, decide(clinic, pasted.facts))
        assert not meets(pasted, shown_decision(compare(clinic, result.mutant.policy), pasted.facts))


@pytest.mark.parametrize(
    ("name", "facts", "expect"),
    [
        (
            "rule handoff-window: days_since_discharge more than 14 -> 15",
            {"provider_credential": "counselor", "activity": "handoff", "documented": True, "days_since_discharge": 15},
            "{outcome: not_billable, rules: [handoff-window]}",
        ),
        (
            "default outcome needs_review -> not_billable",
            {"provider_credential": "counselor", "activity": "other"},
            "{outcome: needs_review, rules: []}",
        ),
        (
            "fact contact_mode relevant when: negate activity is provider_call",
            {"activity": "provider_call"},
            "{outcome: undetermined, missing: [provider_credential, contact_mode]}",
        ),
    ],
)
def test_the_case_to_paste_has_the_fewest_facts_and_expects_what_the_policy_decides(
    clinic: Policy, name: str, facts: dict[str, Value], expect: str
) -> None:
    witness = tell_apart(compare(clinic, mutant_named(clinic, name).policy))
    assert witness is not None
    assert dict(witness.facts) == facts
    assert corpus_case(witness).splitlines()[-1] == f"    expect: {expect}"


def test_a_smaller_corpus_lets_a_killable_mutant_survive(clinic: Policy, clinic_cases: list[Case]) -> None:
    name = "rule handoff-window: days_since_discharge more than 14 -> 15"
    assert fate(clinic, clinic_cases, name).status is Status.KILLED
    without_boundary = [case for case in clinic_cases if case.facts.get("days_since_discharge") != 15]
    assert fate(clinic, without_boundary, name).status is Status.SURVIVED


def test_the_kill_rate_counts_only_mutants_some_scenario_tells_apart(clinic: Policy, clinic_cases: list[Case]) -> None:
    report = run_mutants(clinic, clinic_cases)
    assert report.killed + report.equivalent + len(report.survivors) == len(report.results)
    assert report.kill_rate == report.killed / (report.killed + len(report.survivors))


# --- a corpus that fails on the policy itself -----------------------------------------------


def failing_clinic(root: Path) -> Path:
    """A copy of the clinic checkout whose driving case expects the wrong outcome."""
    shutil.copytree(CLINIC, root)
    cases = root / "corpus" / "cases.yaml"
    text = cases.read_text(encoding="utf-8")
    old = "facts: {provider_credential: counselor, activity: driving}\n    expect: {outcome: not_billable"
    assert old in text
    cases.write_text(text.replace(old, old.replace("not_billable", "billable")), encoding="utf-8")
    return root


def driving_case_line(root: Path) -> int:
    lines = (root / "corpus" / "cases.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if "name: Driving a client" in line)


def test_mutants_are_not_judged_when_the_corpus_fails_on_the_policy(clinic: Policy, tmp_path: Path) -> None:
    root = failing_clinic(tmp_path / "clinic")
    with pytest.raises(Problems) as raised:
        run_mutants(clinic, load_cases([root / "corpus"], clinic))
    assert [(d.code, d.location.line if d.location else 0) for d in raised.value.diagnostics] == [
        ("mutation.corpus-fails", driving_case_line(root))
    ]


# --- the command ---------------------------------------------------------------------------


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["mutate", *arguments])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def pasted_cases(output: str) -> str:
    """The case blocks a `mutate` run printed, as it printed them."""
    blocks = re.findall(r"^  - name: .*\n    facts: .*\n    expect: .*$", output, flags=re.MULTILINE)
    return "\n".join(blocks) + "\n"


def clean(*outputs: str, root: Path) -> bool:
    text = "".join(outputs)
    return str(root) not in text and str(root.resolve()) not in text and "site-packages" not in text


def test_mutate_prints_each_survivor_where_it_is_and_pasting_its_case_kills_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    monkeypatch.chdir(root)
    status, output, errors = run()
    assert status == 1
    survivors = re.findall(r"^(\S+:\d+:\d+): (.*) survived$", output, flags=re.MULTILINE)
    assert survivors and all(where.startswith("policy/") for where, _ in survivors)
    assert re.search(r"^\d+ mutants of policy/: \d+ killed, \d+ equivalent by proof, [1-9]\d* survived", output, re.M)
    assert clean(output, errors, root=root)
    with (root / "corpus" / "cases.yaml").open("a", encoding="utf-8") as corpus:
        corpus.write(pasted_cases(output))
    status, output, errors = run("-v")
    assert status == 0, output + errors
    assert " 0 survived; kill rate 100.0%" in output
    assert all(f"{name} killed by corpus/cases.yaml:" in output for _, name in survivors)
    assert clean(output, errors, root=root)


def test_mutate_refuses_a_kill_rate_when_the_corpus_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = failing_clinic(tmp_path / "clinic")
    monkeypatch.chdir(root)
    status, output, errors = run()
    assert status == 1
    assert f"corpus/cases.yaml:{driving_case_line(root)}:" in errors and "error[mutation.corpus-fails]" in errors
    assert "%" not in output and "survived" not in output
    assert output.startswith("corpus/ fails against policy/")
    assert clean(output, errors, root=root)


@pytest.mark.parametrize(
    ("arguments", "status"),
    [
        (("--policy", "policy", "--corpus", "corpus"), 1),
        (("--corpus", "missing-corpus"), 2),
        (("--policy", "corpus"), 2),
        (("--equivalent", "list.yaml"), 2),
    ],
)
def test_mutate_exit_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: tuple[str, ...], status: int
) -> None:
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    monkeypatch.chdir(root)
    found, output, errors = run(*arguments)
    assert found == status, output + errors
    assert "Traceback" not in output + errors
    assert clean(output, errors, root=root)
