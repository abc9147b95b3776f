"""Corpus files run as pytest items against the policy of the checkout they belong to
(the bundled policy outside any checkout); a failing case points at its file and line; a
case with a service date is decided by the version in force that day, and a released
version's corpus runs, and is judged as a whole, against that version."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from billability.checks.corpus import Case, run_cases
from billability.decide.engine import decide
from billability.model.policy import Always, FactType, Outcome
from billability.model.resources import policy_dir
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from billability.pytest_plugin import WHOLE_CORPUS
from inner_pytest import Run, run_pytest
from policy_texts import CHECKOUT, CLINIC
from versioned_checkouts import DATED_BEFORE, edit, versioned_copy


def run_corpus(target: Path, cwd: Path) -> Run:
    return run_pytest(["-p", "billability.pytest_plugin", str(target)], cwd)


def case_outcomes(result: Run, names: Iterable[str]) -> dict[str, str]:
    """What pytest reported for each of the cases named (other items, such as checks of a
    corpus as a whole, are left out)."""
    wanted = set(names)
    return {item.name: item.outcome for item in result.items if item.name in wanted}


def case_text(name: str, facts: dict[str, Any], outcome: Outcome, rules: list[str], missing: list[str]) -> str:
    """One corpus case; the facts and the expectation written as YAML flow mappings (JSON)."""
    expect: dict[str, Any] = {"outcome": str(outcome)}
    if outcome is Outcome.UNDETERMINED:
        expect["missing"] = missing
    else:
        expect["rules"] = rules
    return f"  - name: {name}\n    facts: {json.dumps(facts)}\n    expect: {json.dumps(expect)}\n"


TWO_CASES = {"The policy decides this": "passed", "The policy decides otherwise": "failed"}


def passing_and_failing_cases(policy: Policy) -> str:
    """A case the policy passes and its twin expecting another outcome, built from the policy itself."""
    fact = next(f for f in policy.facts if f.type is FactType.ENUM and isinstance(f.relevant_when, Always))
    facts = {fact.name: fact.values[0].name}
    decision = decide(policy, facts)
    other = next(outcome for outcome in Outcome if outcome not in (decision.outcome, Outcome.UNDETERMINED))
    return (
        "cases:\n"
        + case_text("The policy decides this", facts, decision.outcome, list(decision.rules), list(decision.missing))
        + case_text("The policy decides otherwise", facts, other, list(decision.rules), [])
    )


def test_a_corpus_file_outside_any_checkout_runs_against_the_bundled_policy(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cases.yaml").write_text(passing_and_failing_cases(load_policy(policy_dir())), encoding="utf-8")
    result = run_corpus(corpus, tmp_path)
    assert result.status == 1, result.output
    assert case_outcomes(result, TWO_CASES) == TWO_CASES
    assert "cases.yaml:5:5: The policy decides otherwise" in result.output
    assert "outcome: expected " in result.output


def test_a_corpus_file_inside_a_checkout_runs_against_that_checkout(tmp_path: Path, clinic: Policy) -> None:
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    (root / "corpus" / "more.yaml").write_text(passing_and_failing_cases(clinic), encoding="utf-8")
    # From outside the checkout: the file's checkout decides, not the working folder.
    result = run_corpus(root / "corpus" / "more.yaml", tmp_path)
    assert case_outcomes(result, TWO_CASES) == TWO_CASES, result.output
    assert "more.yaml:5:5: The policy decides otherwise" in result.output


def test_the_clinic_fixture_corpus_runs_against_the_clinic_policy(tmp_path: Path, clinic_cases: list[Case]) -> None:
    result = run_corpus(CLINIC / "corpus", tmp_path)
    assert result.status == 0, result.output
    assert case_outcomes(result, (case.name for case in clinic_cases)) == {case.name: "passed" for case in clinic_cases}


def test_the_repository_corpus_runs_against_the_repository_policy(policy: Policy, cases: list[Case]) -> None:
    # From inside another checkout (the clinic fixture): the corpus file's own checkout decides.
    result = run_corpus(CHECKOUT / "corpus", CLINIC)
    expected = {r.case.name: "passed" if r.passed else "failed" for r in run_cases(policy, cases)}
    # The released versions' corpora (corpus/releases/) hold cases of the same names, run
    # against their own versions.
    current = dataclasses.replace(
        result, items=tuple(i for i in result.items if not i.where.startswith("corpus.releases."))
    )
    assert case_outcomes(current, expected) == expected, result.output


@pytest.mark.parametrize(
    ("text", "diagnostic"),
    [
        (
            "cases:\n  - name: x\n    facts: {activty: benefits}\n    expect: {outcome: billable, rules: []}\n",
            "bad.yaml:3:13: error[scenario.unknown-fact]",
        ),
        (
            "cases:\n  - name: x\n    facts: {activity: benefits}\n    expect: {outcome: billable, rules: [benefit]}\n",
            "bad.yaml:4:41: error[corpus.unknown-rule]",
        ),
    ],
    ids=["unknown-fact", "unknown-rule"],
)
def test_an_invalid_corpus_file_fails_with_its_diagnostics(tmp_path: Path, text: str, diagnostic: str) -> None:
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    (root / "corpus" / "bad.yaml").write_text(text, encoding="utf-8")
    result = run_corpus(root / "corpus", root)
    assert result.status == 1
    assert [item.name for item in result.failed] == ["corpus file is valid"]
    assert diagnostic in result.output


def test_a_statement_left_uncited_fails_the_corpus_folder_at_the_statement(tmp_path: Path) -> None:
    # A case removed from one file leaves a statement of the table uncited: the failure
    # belongs to the corpus folder (not to another file that happens to sort first), and
    # points at the statement in the source text.
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    (root / "corpus" / "a-first.yaml").write_text(
        "cases:\n  - name: A peer may not drive a client either\n"
        "    facts: {provider_credential: peer, activity: driving}\n"
        "    expect: {outcome: not_billable, rules: [driving, not-a-counselor]}\n",
        encoding="utf-8",
    )
    cases = root / "corpus" / "cases.yaml"
    text = cases.read_text(encoding="utf-8")
    removed = (
        "  - name: Talking with a provider by phone is billable\n"
        '    source: "Talking with a provider by phone."\n'
        "    facts: {provider_credential: counselor, activity: provider_call, contact_mode: phone}\n"
        "    expect: {outcome: billable, rules: [provider-call]}\n\n"
    )
    assert removed in text
    cases.write_text(text.replace(removed, ""), encoding="utf-8")
    table = (root / "policy" / "sources" / "table.txt").read_text(encoding="utf-8").splitlines()
    (line,) = [n for n, row in enumerate(table, start=1) if "Talking with a provider by phone." in row]
    column = table[line - 1].index("Talking with a provider by phone.") + 1

    result = run_corpus(root / "corpus", root)
    assert result.status == 1
    ((where, name, text),) = [(item.where, item.name, item.text) for item in result.failed]
    assert (where, name) == ("corpus", WHOLE_CORPUS)
    assert f"policy/sources/table.txt:{line}:{column}: error[corpus.statement-without-case]" in text
    # A file picked out of the corpus runs its cases only, as `billability test FILE` does.
    alone = run_corpus(root / "corpus" / "a-first.yaml", root)
    assert (alone.status, [item.name for item in alone.items]) == (0, ["A peer may not drive a client either"])


# --- a policy with a released version (tests/fixtures/versioned) ------------------------------


def test_a_dated_case_is_decided_by_the_version_in_force_on_its_date(tmp_path: Path) -> None:
    root = versioned_copy(tmp_path / "versioned")
    result = run_corpus(root / "corpus", root)
    assert result.status == 0, result.output
    assert case_outcomes(result, [DATED_BEFORE]) == {DATED_BEFORE: "passed"}
    # Moved past the switch, the same case is decided by version 2.0, and fails at its line.
    line, _ = edit(root / "corpus" / "cases.yaml", 'on: "2026-06-30"', 'on: "2026-07-02"')
    result = run_corpus(root / "corpus", root)
    assert case_outcomes(result, [DATED_BEFORE]) == {DATED_BEFORE: "failed"}
    assert f"cases.yaml:{line - 1}:5: {DATED_BEFORE}" in result.output
    assert "outcome: expected needs_review, got billable" in result.output


def test_a_released_version_s_corpus_is_judged_as_a_whole_against_that_version(tmp_path: Path) -> None:
    root = versioned_copy(tmp_path / "versioned")
    result = run_corpus(root / "corpus", root)
    wholes = sorted(item.where for item in result.items if item.name == WHOLE_CORPUS)
    assert wholes == ["corpus", "corpus.releases.1.0"], wholes
    # The released corpus with a rule's only case gone: that version's corpus as a whole fails.
    release_cases = root / "corpus" / "releases" / "1.0" / "cases.yaml"
    edit(
        release_cases,
        "  - name: Driving a client is not billable\n"
        '    source: "Driving clients to appointments."\n'
        "    facts: {provider_credential: counselor, activity: driving}\n"
        "    expect: {outcome: not_billable, rules: [driving]}\n",
        "",
    )
    result = run_corpus(root / "corpus", root)
    ((where, name, text),) = [(item.where, item.name, item.text) for item in result.failed]
    assert (where, name) == ("corpus.releases.1.0", WHOLE_CORPUS)
    assert "policy/releases/1.0/rules/connection.yaml" in text and "rule `driving` decides no case" in text
