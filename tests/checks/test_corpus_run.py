"""A corpus run as `billability test` runs it: every case's result, and the corpus as a
whole judged only when whole folders are run."""

from __future__ import annotations

from pathlib import Path

import pytest

from billability import Policy, Problems
from billability.checks.corpus import run_corpus
from policy_texts import CLINIC

FAILING_CASE = (
    "cases:\n  - name: Email is billable\n"
    "    facts: {provider_credential: counselor, activity: provider_call, contact_mode: email}\n"
    "    expect: {outcome: billable, rules: [provider-call]}\n"
)


def test_the_fixture_corpus_passes_whole(clinic: Policy) -> None:
    run = run_corpus(clinic, [CLINIC / "corpus"])
    assert run.results and run.failed == () and run.findings == ()


def test_a_file_picked_out_is_not_judged_as_a_whole(clinic: Policy, tmp_path: Path) -> None:
    file = tmp_path / "cases.yaml"
    file.write_text(FAILING_CASE, encoding="utf-8")
    run = run_corpus(clinic, [file])
    assert [result.case.name for result in run.failed] == ["Email is billable"]
    assert run.findings == ()


def test_a_folder_run_is_judged_as_a_whole(clinic: Policy, tmp_path: Path) -> None:
    (tmp_path / "cases.yaml").write_text(FAILING_CASE, encoding="utf-8")
    run = run_corpus(clinic, [tmp_path])
    assert len(run.failed) == 1
    codes = {finding.code for finding in run.findings}
    assert {"corpus.statement-without-case", "corpus.rule-decides-no-case"} <= codes


def test_a_corpus_that_does_not_load_raises(clinic: Policy, tmp_path: Path) -> None:
    with pytest.raises(Problems) as raised:
        run_corpus(clinic, [tmp_path])
    assert [d.code for d in raised.value.diagnostics] == ["corpus.no-files"]
