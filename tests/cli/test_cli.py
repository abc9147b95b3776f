"""The command line: answers, exit statuses, and located errors, never a traceback.

Every command acts on the checkout it is run in: these tests run inside the clinic
fixture checkout (tests/fixtures/clinic) and assert what its policy decides, or derive
their expectations from the policy they load. Summary lines name the folder read,
relative to the working folder; outside any checkout, the bundled policy, never by a
site-packages path.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from billability.checks.corpus import Case, load_cases
from billability.cli import commands, main
from billability.decide.table import decision_table
from billability.model.resources import corpus_dir, policy_dir
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from policy_texts import CHECKOUT, CLINIC


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def in_clinic(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Commands run with no options inside the clinic fixture checkout."""
    monkeypatch.chdir(CLINIC)
    return CLINIC


@pytest.fixture
def clinic_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the clinic checkout to edit, as the working folder."""
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    monkeypatch.chdir(root)
    return root


def edit(file: Path, old: str, new: str) -> tuple[int, int]:
    """Replace `old` once in `file`; the line and column where `new` now starts."""
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {file}"
    start = text.index(old)
    file.write_text(text.replace(old, new), encoding="utf-8")
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1


# --- check ---------------------------------------------------------------------------------


def test_check_explains_a_not_billable_voicemail(in_clinic: Path) -> None:
    status, out, _ = run("check", "activity=provider_call", "contact_mode=voicemail", "provider_credential=counselor")
    assert status == 0
    assert out.startswith("NOT BILLABLE\n")
    assert "[provider-call-voicemail-or-email]" in out
    assert "\u201cLeaving a voice mail message.\u201d" in out
    assert out.rstrip().endswith("(decided by the policy in policy/)")


def test_check_json(in_clinic: Path) -> None:
    status, out, _ = run("check", "--json", "activity=benefits", "provider_credential=counselor")
    assert status == 0
    answer = json.loads(out)
    assert set(answer) == {"policy", "outcome", "rules", "reasons", "citations", "missing"}
    # A saved answer says which policy, and which version of it, decided.
    assert answer["policy"] == {"id": "clinic", "version": "1.0"}
    assert answer["outcome"] == "billable"
    assert answer["rules"] == ["benefits"]
    assert answer["citations"][0]["rule"] == "benefits"
    assert answer["citations"][0]["quote"].startswith("Help clients apply for benefits.")


def test_check_asks_for_what_is_missing(in_clinic: Path) -> None:
    status, out, _ = run("check", "activity=handoff", "provider_credential=counselor")
    assert status == 0
    assert out.startswith("UNDETERMINED\n")
    assert "Is the hand-off documented?" in out
    assert "How many days after discharge did the hand-off happen?" in out


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_check_reads_a_file_and_arguments_override_it(in_clinic: Path, tmp_path: Path, suffix: str) -> None:
    file = tmp_path / f"scenario.{suffix}"
    file.write_text('{"activity": "driving", "provider_credential": "counselor"}', encoding="utf-8")
    assert json.loads(run("check", str(file), "--json")[1])["outcome"] == "not_billable"
    assert json.loads(run("check", str(file), "activity=benefits", "--json")[1])["outcome"] == "billable"


def test_check_reads_standard_input(in_clinic: Path) -> None:
    status, out, _ = run("check", "-", "--json", stdin="activity: other\nprovider_credential: counselor\n")
    assert (status, json.loads(out)["outcome"]) == (0, "needs_review")


def test_check_reads_a_corpus_style_file_with_facts(in_clinic: Path, tmp_path: Path) -> None:
    file = tmp_path / "case.yaml"
    file.write_text("name: a case\nfacts:\n  activity: driving\n", encoding="utf-8")
    assert json.loads(run("check", str(file), "--json")[1])["rules"] == ["driving"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["activty=benefits"],
            ["argument 1 `activty=benefits`: error[scenario.unknown-fact]", "did you mean `activity`?"],
        ),
        (["activity=benefts"], ["error[scenario.unknown-value]", "did you mean `benefits`?"]),
        (["documented=yes"], ["error[scenario.type]", "write `true` or `false`"]),
        (["days_since_discharge=soon"], ["error[scenario.type]"]),
        (["days_since_discharge=-4"], ["error[scenario.out-of-range]"]),
        (["activity=benefits", "stray"], ["error[cli.argument]"]),
        (["no-such-file.yaml"], ["no-such-file.yaml: error[file.unreadable]"]),
    ],
)
def test_check_rejects_invalid_input_with_exit_2(in_clinic: Path, args: list[str], expected: list[str]) -> None:
    status, out, err = run("check", *args)
    assert status == 2
    assert out == ""
    for text in expected:
        assert text in err
    assert "Traceback" not in err


def test_check_reports_every_argument_problem_at_once(in_clinic: Path) -> None:
    status, _, err = run("check", "activty=x", "documented=maybe", "provider_credential=counsellor")
    assert status == 2
    assert err.count("error[") == 3
    assert err.index("argument 1") < err.index("argument 2") < err.index("argument 3")


def test_check_locates_problems_in_a_scenario_file(in_clinic: Path, tmp_path: Path) -> None:
    file = tmp_path / "scenario.yaml"
    file.write_text("activity: provider_call\ncontact_mode: fax\ncontact_mode: phone\n", encoding="utf-8")
    status, _, err = run("check", str(file))
    assert status == 2
    assert f"{file}:3:1: error[yaml.duplicate-key]" in err
    file.write_text("activity: provider_call\ncontact_mode: fax\n", encoding="utf-8")
    status, _, err = run("check", str(file))
    assert status == 2
    assert f"{file}:2:1: error[scenario.unknown-value]" in err
    file.write_text("- activity\n", encoding="utf-8")
    assert "error[scenario.type]" in run("check", str(file))[2]


# --- validate ------------------------------------------------------------------------------


def test_validate_the_checkout_you_are_in(in_clinic: Path, clinic: Policy, clinic_cases: list[Case]) -> None:
    status, out, _ = run("validate")
    assert status == 0
    # The first line is the one scripts match; the second says what was checked of the corpus.
    assert out.splitlines() == [
        f"policy/: {len(clinic.facts)} facts, {len(clinic.rules)} rules: valid",
        f"corpus/: {len(clinic_cases)} cases in 1 file: valid",
    ]


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("    facts: {provider_credential: counselor, activity: driving}", "   facts: {activity: driving}", "yaml."),
        (
            "{provider_credential: counselor, activity: driving}",
            "{provider_credental: counselor}",
            "scenario.unknown-fact",
        ),
        ("activity: driving}", "activity: drving}", "scenario.unknown-value"),
        ("rules: [driving]}", "rules: [drving]}", "corpus.unknown-rule"),
        ("expect: {outcome: not_billable, rules: [driving]}", "expect: {outcom: not_billable}", "schema."),
    ],
    ids=["indentation", "fact", "value", "rule", "schema"],
)
def test_validate_checks_the_corpus_and_locates_its_problems(
    clinic_copy: Path, clinic: Policy, old: str, new: str, code: str
) -> None:
    cases = clinic_copy / "corpus" / "cases.yaml"
    line, _ = edit(cases, old, new)
    status, out, err = run("validate")
    assert status == 1
    assert out.splitlines() == [f"policy/: {len(clinic.facts)} facts, {len(clinic.rules)} rules: valid"]
    assert re.search(rf"^corpus/cases\.yaml:{line}:\d+: error\[{re.escape(code)}", err, re.MULTILINE), err
    status, out, _ = run("validate", "--format", "github")
    assert status == 1
    assert re.search(rf"^::error file=corpus/cases\.yaml,line={line},col=\d+::\[{re.escape(code)}", out, re.MULTILINE)


def test_validate_reports_the_corpus_shape_even_when_the_policy_does_not_compile(clinic_copy: Path) -> None:
    rule_line, _ = edit(clinic_copy / "policy" / "rules" / "connection.yaml", "activity: driving", "activity: drving")
    (clinic_copy / "corpus" / "more.yaml").write_text("cases:\n  - name: No facts\n", encoding="utf-8")
    status, out, err = run("validate")
    assert (status, out) == (1, "")
    assert f"policy/rules/connection.yaml:{rule_line}:" in err
    assert "corpus/more.yaml:2:5: error[schema.required]" in err


def test_validate_of_a_loose_policy_folder_says_it_checked_the_policy_only(tmp_path: Path, clinic: Policy) -> None:
    shutil.copytree(CLINIC / "policy", tmp_path / "old-policy")
    status, out, _ = run("validate", str(tmp_path / "old-policy"))
    assert status == 0
    assert out.splitlines()[1] == f"no corpus/ beside {tmp_path / 'old-policy'}/: only the policy was checked"


def test_validate_reports_every_problem_and_exits_1(clinic_copy: Path) -> None:
    rules = clinic_copy / "policy" / "rules" / "connection.yaml"
    value = edit(rules, "activity: benefits\n", "activity: benefit\n")
    fact = edit(rules, "documented: false", "documentd: false")
    status, _, err = run("validate")
    assert status == 1
    assert f"rules/connection.yaml:{value[0]}:{value[1] + len('activity: ')}: error[policy.unknown-value]" in err
    assert f"rules/connection.yaml:{fact[0]}:{fact[1]}: error[policy.unknown-fact]" in err
    assert err.rstrip().endswith("2 errors")


def test_validate_github_annotations(clinic_copy: Path) -> None:
    line, column = edit(clinic_copy / "policy" / "rules" / "connection.yaml", "activity: driving", "activity: drving")
    status, out, _ = run("validate", "--format", "github")
    assert status == 1
    assert out.startswith("::error file=")
    assert f",line={line},col={column + len('activity: ')}::[policy.unknown-value]" in out


# --- test ----------------------------------------------------------------------------------


def test_test_runs_the_corpus_of_the_checkout(in_clinic: Path, clinic_cases: list[Case]) -> None:
    status, out, _ = run("test")
    assert status == 0
    assert out.splitlines()[-1] == f"corpus/ against policy/: {len(clinic_cases)} passed, 0 failed"


def test_test_reports_a_failure_with_its_line(in_clinic: Path, tmp_path: Path) -> None:
    file = tmp_path / "cases.yaml"
    file.write_text(
        "cases:\n  - name: Voicemail is billable\n"
        "    facts: {provider_credential: counselor, activity: provider_call, contact_mode: voicemail}\n"
        "    expect: {outcome: billable, rules: [provider-call]}\n",
        encoding="utf-8",
    )
    status, out, _ = run("test", str(file))
    assert status == 1
    assert f"{file}:2:5: FAIL: Voicemail is billable" in out
    assert "outcome: expected billable, got not_billable" in out
    assert out.rstrip().endswith("0 passed, 1 failed")


def test_test_against_a_broken_policy_exits_2(clinic_copy: Path) -> None:
    edit(clinic_copy / "policy" / "policy.yaml", "  connection:\n", "  conection:\n")
    status, _, err = run("test")
    assert status == 2
    assert "error[policy.unknown-topic]" in err


def test_an_edit_to_the_checkout_is_what_commands_see(clinic_copy: Path, clinic_cases: list[Case]) -> None:
    """The maintainer's journey: an edit on disk fails the corpus, whatever copy is installed."""
    edit(clinic_copy / "policy" / "rules" / "connection.yaml", "more_than: 14", "more_than: 15")
    status, out, _ = run("test")
    assert status == 1
    assert "FAIL: A hand-off 15 days after discharge is not billable" in out
    assert out.splitlines()[-1].startswith(f"corpus/ against policy/: {len(clinic_cases) - 1} passed, 1 failed")


# --- where commands look: the checkout you are in, or the options ---------------------------


def has_summary(pattern: str, out: str, err: str) -> bool:
    """Whether a line of the command's output (stderr for `table`) is its summary line."""
    return any(re.fullmatch(pattern, line) for line in (out + err).splitlines())


# What each command's summary line says about the clinic policy read from `policy` (and
# its corpus from `corpus`), as the command shows those folders.
def expected_summary(command: str, policy: str, corpus: str, clinic: Policy, cases: list[Case]) -> str:
    policy, corpus = re.escape(policy), re.escape(corpus)
    return {
        "check": rf"\(decided by the policy in {policy}\)",
        "validate": rf"{policy}: {len(clinic.facts)} facts, {len(clinic.rules)} rules: valid",
        "test": rf"{corpus} against {policy}: {len(cases)} passed, 0 failed",
        "table": rf"{len(decision_table(clinic).regions)} regions of {policy}",
        "lint": rf"\d+ errors, \d+ warnings, \d+ notes in {policy}(?:[ ;,(].*)?",
        "mutate": rf"\d+ mutants of {policy}: .*",
        "coverage": rf"{policy}: rules: {len(clinic.rules)}/{len(clinic.rules)} decide a case .*",
    }[command]


# Which of `--policy` and `--corpus` each command reads. `diff` reads its policies from
# its BASE and HEAD arguments.
READS = {
    "check": {"--policy"},
    "validate": {"--policy"},
    "test": {"--policy", "--corpus"},
    "table": {"--policy"},
    "lint": {"--policy"},
    "mutate": {"--policy", "--corpus"},
    "coverage": {"--policy", "--corpus"},
    "diff": {"--corpus"},
    "audit": {"--policy"},
    "sql": {"--policy"},
    "release": {"--policy", "--corpus"},
}
# `release` writes into the checkout: tests/history/test_release.py runs it on copies.
SUMMARIZED = sorted(set(READS) - {"diff", "audit", "sql", "release"})


def test_every_command_takes_the_options_for_what_it_reads() -> None:
    assert set(commands()) <= set(READS), "say which of --policy and --corpus a new command reads"
    for name, wanted in READS.items():
        options = {option for parameter in commands()[name].params for option in parameter.opts}
        assert wanted <= options, f"`billability {name}` lacks {sorted(wanted - options)}"


@pytest.mark.parametrize("command", SUMMARIZED)
def test_commands_read_the_checkout_you_are_in(
    in_clinic: Path, clinic: Policy, clinic_cases: list[Case], command: str
) -> None:
    status, out, err = run(command)
    assert status in (0, 1), err
    assert has_summary(expected_summary(command, "policy/", "corpus/", clinic, clinic_cases), out, err), out + err


@pytest.mark.parametrize("command", SUMMARIZED)
def test_commands_find_the_checkout_from_a_subfolder(
    clinic_copy: Path, monkeypatch: pytest.MonkeyPatch, clinic: Policy, clinic_cases: list[Case], command: str
) -> None:
    (clinic_copy / "notes" / "drafts").mkdir(parents=True)
    monkeypatch.chdir(clinic_copy / "notes" / "drafts")
    status, out, err = run(command)
    assert status in (0, 1), err
    pattern = expected_summary(command, "../../policy/", "../../corpus/", clinic, clinic_cases)
    assert has_summary(pattern, out, err), out + err


def test_a_subfolder_shows_located_problems_relative_to_it(clinic_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line, column = edit(clinic_copy / "policy" / "rules" / "connection.yaml", "activity: driving", "activity: drving")
    monkeypatch.chdir(clinic_copy / "corpus")
    status, _, err = run("validate")
    assert status == 1
    assert f"../policy/rules/connection.yaml:{line}:{column + len('activity: ')}: error[policy.unknown-value]" in err


@pytest.mark.parametrize("command", SUMMARIZED)
def test_options_name_the_policy_and_corpus_to_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clinic: Policy, clinic_cases: list[Case], command: str
) -> None:
    """From inside another checkout (the repository's), the options win over the checkout."""
    root = tmp_path / "elsewhere"
    shutil.copytree(CLINIC, root)
    monkeypatch.chdir(CHECKOUT)
    options = sorted(READS[command])
    given = {"--policy": str(root / "policy"), "--corpus": str(root / "corpus")}
    status, out, err = run(command, *(item for option in options for item in (option, given[option])))
    assert status in (0, 1), err
    shown = str(root) + "/"
    pattern = expected_summary(command, shown + "policy/", shown + "corpus/", clinic, clinic_cases)
    assert has_summary(pattern, out, err), out + err


def test_options_relative_to_the_working_folder_are_shown_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clinic_cases: list[Case]
) -> None:
    shutil.copytree(CLINIC, tmp_path / "clinic")
    monkeypatch.chdir(tmp_path)
    status, out, _ = run("test", "--policy", "clinic/policy", "--corpus", "clinic/corpus")
    assert status == 0
    assert out.splitlines()[-1] == f"clinic/corpus/ against clinic/policy/: {len(clinic_cases)} passed, 0 failed"


def test_diff_reruns_the_corpus_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "clinic"
    shutil.copytree(CLINIC, root)
    monkeypatch.chdir(tmp_path)
    status, out, err = run("diff", "clinic/policy", "clinic/policy", "--corpus", "clinic/corpus")
    assert status == 0, out + err
    assert "error[" not in out + err


# --- outside any checkout: the bundled policy, never a site-packages path --------------------


def bundled_shown(shown: str, folder: Path) -> bool:
    """`bundled:<name>/` from a wheel, or the source tree's folder in an editable install."""
    if shown == f"bundled:{folder.name}/":
        return True
    return Path(shown).is_absolute() and Path(shown).resolve() == folder.resolve()


def test_outside_any_checkout_commands_read_the_bundled_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bundled = load_policy(policy_dir())
    status, out, _ = run("validate")
    assert status == 0
    shown, _, counts = out.splitlines()[0].partition(": ")
    assert bundled_shown(shown, policy_dir()), shown
    assert counts == f"{len(bundled.facts)} facts, {len(bundled.rules)} rules: valid"
    assert "site-packages" not in out


def test_outside_any_checkout_the_corpus_is_the_bundled_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    count = len(load_cases([corpus_dir()], load_policy(policy_dir())))
    status, out, _ = run("test")
    assert status in (0, 1)
    assert "site-packages" not in out
    # The current version's summary line comes first (each released version's follows);
    # problems of the corpus as a whole, if any, follow the counts.
    pattern = r"(\S+) against (\S+): (\d+) passed, (\d+) failed(, .*)?"
    match = next((found for line in out.splitlines() if (found := re.fullmatch(pattern, line))), None)
    assert match is not None, out
    last = match.group(0)
    assert bundled_shown(match.group(1), corpus_dir()) and bundled_shown(match.group(2), policy_dir()), last
    assert int(match.group(3)) + int(match.group(4)) == count
    assert (status == 0) <= (int(match.group(4)) == 0 and match.group(5) is None), last


def test_outside_any_checkout_check_names_the_bundled_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, _ = run("check")
    assert status == 0
    # A version not yet in effect is said after it.
    match = re.search(r"^\(decided by the policy in (\S+)\)$", out, flags=re.M)
    assert match is not None and bundled_shown(match.group(1), policy_dir()), out
    assert "site-packages" not in out


# --- help ----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_command_has_help_with_an_example(command: str) -> None:
    status, out, _ = run(command, "--help")
    assert status == 0
    assert "Example" in out
    assert f"billability {command}" in out


def test_every_command_loads_by_its_name_and_a_decision_loads_no_audit() -> None:
    """The group lists every command and loads each when asked; `check` runs without the
    audit's modules (DuckDB, sqlglot), which only `audit` and `sql` need."""
    assert sorted(commands()) == [
        "audit",
        "check",
        "coverage",
        "diff",
        "lint",
        "mutate",
        "release",
        "sql",
        "table",
        "test",
        "validate",
    ]
    assert all(name == command.name for name, command in commands().items())
    misspelled = CliRunner().invoke(main, ["chek", "activity=advocacy"])
    assert misspelled.exit_code == 2
    assert misspelled.output.splitlines()[-1] == "Error: No such command 'chek'. Did you mean 'check'?"
    script = (
        "import sys\n"
        "from billability.cli import main\n"
        "try:\n"
        "    main(['check', 'activity=advocacy'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('duckdb', 'sqlglot') or m.startswith('billability.audit')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
