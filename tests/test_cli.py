"""The command line: answers, exit statuses, and located errors, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from billability.cli import main
from conftest import EditPolicy


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_check_explains_a_not_billable_voicemail() -> None:
    status, out, _ = run(
        "check", "activity=provider_communication", "contact_mode=voicemail", "provider_credential=lpha"
    )
    assert status == 0
    assert out.startswith("NOT BILLABLE\n")
    assert "[communication-voicemail]" in out
    assert "\u201ce.g., leaving a voice mail message.\u201d" in out


def test_check_json() -> None:
    status, out, _ = run(
        "check",
        "--json",
        "activity=advocacy",
        "provider_credential=lpha",
        "contact_mode=phone",
        "contact_successful=true",
    )
    assert status == 0
    answer = json.loads(out)
    assert set(answer) == {"outcome", "rules", "reasons", "citations", "missing"}
    assert answer["outcome"] == "billable"
    assert answer["rules"] == ["advocacy"]
    assert answer["citations"][0]["rule"] == "advocacy"
    assert answer["citations"][0]["quote"].startswith("Advocate for clients")


def test_check_asks_for_what_is_missing() -> None:
    status, out, _ = run("check", "activity=advocacy", "provider_credential=lpha")
    assert status == 0
    assert out.startswith("UNDETERMINED\n")
    assert "How did you contact the provider or partner?" in out
    assert "Did you actually reach the provider or partner?" in out


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_check_reads_a_file_and_arguments_override_it(tmp_path: Path, suffix: str) -> None:
    file = tmp_path / f"scenario.{suffix}"
    file.write_text('{"activity": "transportation", "provider_credential": "lpha"}', encoding="utf-8")
    assert json.loads(run("check", str(file), "--json")[1])["outcome"] == "not_billable"
    assert json.loads(run("check", str(file), "activity=benefits_transfer", "--json")[1])["outcome"] == "billable"


def test_check_reads_standard_input() -> None:
    status, out, _ = run("check", "-", "--json", stdin="activity: other\nprovider_credential: lpha\n")
    assert (status, json.loads(out)["outcome"]) == (0, "needs_review")


def test_check_reads_a_corpus_style_file_with_facts(tmp_path: Path) -> None:
    file = tmp_path / "case.yaml"
    file.write_text("name: a case\nfacts:\n  activity: data_entry\n", encoding="utf-8")
    assert json.loads(run("check", str(file), "--json")[1])["rules"] == ["data-entry"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["activty=advocacy"],
            ["argument 1 `activty=advocacy`: error[scenario.unknown-fact]", "did you mean `activity`?"],
        ),
        (["activity=advocasy"], ["error[scenario.unknown-value]", "did you mean `advocacy`?"]),
        (["contact_successful=yes"], ["error[scenario.type]", "write `true` or `false`"]),
        (["days_since_discharge=soon"], ["error[scenario.type]"]),
        (["days_since_discharge=-4"], ["error[scenario.out-of-range]"]),
        (["activity=advocacy", "stray"], ["error[cli.argument]"]),
        (["no-such-file.yaml"], ["no-such-file.yaml: error[file.unreadable]"]),
    ],
)
def test_check_rejects_invalid_input_with_exit_2(args: list[str], expected: list[str]) -> None:
    status, out, err = run("check", *args)
    assert status == 2
    assert out == ""
    for text in expected:
        assert text in err
    assert "Traceback" not in err


def test_check_reports_every_argument_problem_at_once() -> None:
    status, _, err = run("check", "activty=x", "contact_successful=maybe", "provider_credential=lpa")
    assert status == 2
    assert err.count("error[") == 3
    assert err.index("argument 1") < err.index("argument 2") < err.index("argument 3")


def test_check_locates_problems_in_a_scenario_file(tmp_path: Path) -> None:
    file = tmp_path / "scenario.yaml"
    file.write_text("activity: advocacy\ncontact_mode: fax\ncontact_mode: phone\n", encoding="utf-8")
    status, _, err = run("check", str(file))
    assert status == 2
    assert f"{file}:3:1: error[yaml.duplicate-key]" in err
    file.write_text("activity: advocacy\ncontact_mode: fax\n", encoding="utf-8")
    status, _, err = run("check", str(file))
    assert status == 2
    assert f"{file}:2:1: error[scenario.unknown-value]" in err
    file.write_text("- activity\n", encoding="utf-8")
    assert "error[scenario.type]" in run("check", str(file))[2]


def test_validate_the_bundled_policy() -> None:
    status, out, _ = run("validate")
    assert status == 0
    assert "26 rules: valid" in out


def test_validate_reports_every_problem_and_exits_1(edited_policy: EditPolicy) -> None:
    root = edited_policy(
        "rules/connection.yaml", "activity: benefits_transfer", "activity: benefit_transfer",
        "rules/connection.yaml", "documented: false", "documentd: false",
    )  # fmt: skip
    status, _, err = run("validate", str(root))
    assert status == 1
    assert "rules/connection.yaml:18:17: error[policy.unknown-value]" in err
    assert "rules/connection.yaml:61:7: error[policy.unknown-fact]" in err
    assert err.rstrip().endswith("2 errors")


def test_validate_github_annotations(edited_policy: EditPolicy) -> None:
    root = edited_policy("rules/connection.yaml", "activity: benefits_transfer", "activity: benefit_transfer")
    status, out, _ = run("validate", str(root), "--format", "github")
    assert status == 1
    assert out.startswith("::error file=")
    assert ",line=18,col=17::[policy.unknown-value]" in out


def test_test_runs_the_corpus() -> None:
    status, out, _ = run("test")
    assert status == 0
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("corpus/ against policy/: ") and last.endswith(" passed, 0 failed")


def test_test_reports_a_failure_with_its_line(tmp_path: Path) -> None:
    file = tmp_path / "cases.yaml"
    file.write_text(
        "cases:\n  - name: Voicemail is billable\n    facts: {provider_credential: lpha, activity: advocacy, contact_mode: voicemail}\n"
        "    expect: {outcome: billable, rules: [advocacy]}\n",
        encoding="utf-8",
    )
    status, out, _ = run("test", str(file))
    assert status == 1
    assert f"{file}:2:5: FAIL: Voicemail is billable" in out
    assert "outcome: expected billable, got not_billable" in out
    assert out.rstrip().endswith("0 passed, 1 failed")


def test_test_against_a_broken_policy_exits_2(edited_policy: EditPolicy) -> None:
    root = edited_policy("rules/connection.yaml", "topic: connection", "topic: conection")
    status, _, err = run("test", "--policy", str(root))
    assert status == 2
    assert "error[policy.unknown-topic]" in err


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example(command: str) -> None:
    status, out, _ = run(command, "--help")
    assert status == 0
    assert "Example" in out
    assert f"billability {command}" in out
