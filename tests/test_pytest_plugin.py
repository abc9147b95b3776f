"""Corpus files run as pytest items: a failing case points at its file and line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "billability.pytest_plugin",
            "-q",
            "-p",
            "no:cacheprovider",
            str(folder),
        ],
        capture_output=True,
        text=True,
        cwd=folder,
        check=False,
    )


def test_cases_become_items_and_failures_show_file_and_line(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cases.yaml").write_text(
        "cases:\n"
        "  - name: Driving a client is not billable\n"
        "    facts: {activity: transportation}\n"
        "    expect: {outcome: not_billable, rules: [transportation]}\n"
        "  - name: Voicemail is billable\n"
        "    facts: {provider_credential: lpha, activity: advocacy, contact_mode: voicemail}\n"
        "    expect: {outcome: billable, rules: [advocacy]}\n",
        encoding="utf-8",
    )
    result = run_pytest(corpus)
    assert result.returncode == 1
    assert "1 failed, 1 passed" in result.stdout
    assert "cases.yaml:5:5: Voicemail is billable" in result.stdout
    assert "outcome: expected billable, got not_billable" in result.stdout


def test_an_invalid_corpus_file_fails_with_its_diagnostics(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad.yaml").write_text(
        "cases:\n  - name: x\n    facts: {activty: 1}\n    expect: {outcome: billable, rules: []}\n"
    )
    result = run_pytest(corpus)
    assert result.returncode == 1
    assert "bad.yaml:3:13: error[scenario.unknown-fact]" in result.stdout
