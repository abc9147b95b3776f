"""Summary lines count in English: `1 error`, `1 note`, `1 fact, 1 rule`, `1 region`,
`1 case fails`, `2 errors`. Each command runs on small policies made so that its counts
come out 1 and more than 1, and every "<number> <thing>" it prints agrees in number."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from billability.cli import main
from billability.model.diagnostics import counted
from policy_texts import FACTS, rule, write_small_policy

ONE_FACT = FACTS.split("  reached:")[0]
NOUNS = "error|warning|note|fact|rule|region|mutant|case|group|combination|problem|overlap|row|value|change|space"
COUNT = re.compile(rf"\b(\d[\d,]*) (?:more )?({NOUNS})(s?)\b")


def disagreements(text: str) -> list[str]:
    """Every "<number> <thing>" whose thing is plural for 1 or singular for more."""
    return [found.group(0) for found in COUNT.finditer(text) if (found.group(1) == "1") == (found.group(3) == "s")]


def run(*arguments: str) -> str:
    result = CliRunner().invoke(main, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.stdout + result.stderr


def corpus(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cases.yaml").write_text("cases:\n" + text, encoding="utf-8")
    return folder


TALK_BILLABLE = (
    "  - name: Talk is billable\n    facts: {activity: talk}\n    expect: {outcome: billable, rules: [talk]}\n"
)
TALK_NOT = "  - name: Talk is not\n    facts: {activity: talk}\n    expect: {outcome: not_billable, rules: []}\n"


@pytest.fixture
def policies(tmp_path: Path) -> dict[str, Path]:
    return {
        "one": write_small_policy(tmp_path / "one", rule("talk", "billable", "activity: talk"), facts=ONE_FACT),
        "two": write_small_policy(
            tmp_path / "two", rule("talk", "billable", "activity: [talk, write]"), facts=ONE_FACT
        ),
        "lint": write_small_policy(
            tmp_path / "lint",
            rule("talk", "billable", "activity: talk"),
            rule("talk-drive", "not_billable", "activity: [talk, drive]"),
            rule("never", "billable", "all:\n  - activity: talk\n  - activity: drive"),
        ),
        "broken": write_small_policy(tmp_path / "broken", rule("talk", "billable", "activity: tlak"), facts=ONE_FACT),
    }


def test_counted_says_one_thing_or_many() -> None:
    assert [counted(n, "error") for n in (0, 1, 2, 10080)] == ["0 errors", "1 error", "2 errors", "10080 errors"]
    assert counted(1024, "row", thousands=True) == "1,024 rows"


def test_the_agreement_check_notices_a_wrong_number() -> None:
    assert disagreements("1 errors, 2 warning, 0 notes, 1 note, 3 mutants, 1 more changes") == [
        "1 errors",
        "2 warning",
        "1 more changes",
    ]


def test_every_summary_line_agrees_in_number(policies: dict[str, Path], tmp_path: Path) -> None:
    one, two, lint, broken = policies["one"], policies["two"], policies["lint"], policies["broken"]
    passing = corpus(tmp_path / "passing", TALK_BILLABLE)
    failing = corpus(tmp_path / "failing", TALK_NOT)
    records = tmp_path / "records.csv"
    records.write_text("activity\ntalk\n", encoding="utf-8")
    outputs = {
        "validate": run("validate", str(one)),
        "validate errors": run("validate", str(broken)),
        "lint": run("lint", "--policy", str(lint)),
        "table": run("table", "--policy", str(one)),
        "test": run("test", "--policy", str(one), "--corpus", str(passing)),
        "test fails": run("test", "--policy", str(one), "--corpus", str(failing)),
        "mutate": run("mutate", "--policy", str(one), "--corpus", str(passing)),
        "mutate fails": run("mutate", "--policy", str(one), "--corpus", str(failing)),
        "coverage": run("coverage", "--policy", str(one), "--corpus", str(passing)),
        "diff": run("diff", str(one), str(two)),
        "audit": run("audit", "--policy", str(one), str(records)),
        "check": run("check", "--policy", str(one), "activity=talk"),
    }
    # The runs say 1 of something where a wrong plural would show.
    expected = {
        "validate": "1 fact, 1 rule: valid",
        "validate errors": "\n1 error\n",
        "lint": "1 overlap resolved by design",
        "table": "2 regions cover all 3 combinations",
        "test": "1 passed, 0 failed",
        "test fails": "0 passed, 1 failed",
        "mutate fails": "1 case fails",
        "diff": "in 1 group",
        "audit": "1 row audited",
    }
    for command, words in expected.items():
        assert words in outputs[command], (command, outputs[command])
    assert "2 errors, 4 warnings, 0 notes" in outputs["lint"]
    for command, output in outputs.items():
        assert disagreements(output) == [], (command, output)


def test_one_region_covers_a_policy_without_rules(tmp_path: Path) -> None:
    root = write_small_policy(tmp_path / "empty", facts=ONE_FACT)
    text = (root / "policy.yaml").read_text(encoding="utf-8")
    (root / "policy.yaml").write_text(text.replace("rules:\n", "rules: []\n"), encoding="utf-8")
    output = run("table", "--policy", str(root))
    assert "1 region covers all 3 combinations" in output and "1 region of" in output
    assert disagreements(output) == []


def test_lint_counts_one_of_each_severity(tmp_path: Path) -> None:
    # A needs_review rule inside a billable one (a note), an unused fact (a warning), a
    # rule that never holds (an error).
    root = write_small_policy(
        tmp_path / "policy",
        rule("talk", "billable", "activity: talk"),
        rule("talk-unreached", "needs_review", "activity: talk\nreached: false"),
        rule("never", "billable", "all:\n  - activity: talk\n  - activity: drive"),
        rule("rest", "not_billable", "activity: [drive, write]"),
    )
    output = run("lint", "--policy", str(root), "--verbose")
    assert output.strip().splitlines()[-1] == f"1 error, 1 warning, 1 note in {root}/"
