"""The `billability` command: the only module that prints or exits.

In: command-line arguments.
Out: text or JSON on stdout, diagnostics on stderr, and an exit status:
0 done, 1 problems found (validate) or cases failed (test), 2 invalid input, and for
`audit` 130 or 143 when a signal (SIGINT, SIGTERM) stopped it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from billability.checks.corpus import check_corpus, corpus_findings, load_cases, run_cases
from billability.decide.engine import decide
from billability.decide.explain import decision_json, decision_text, diagnostics_github, diagnostics_text
from billability.model.diagnostics import Diagnostic, Location, Problems, counted
from billability.model.policy import FactType
from billability.model.resources import corpus_beside, project, shown_folder
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from billability.policy.source import read_yaml

F = TypeVar("F", bound=Callable[..., Any])

EXIT_PROBLEMS = 1
EXIT_INVALID = 2


def _fail(diagnostics: Sequence[Diagnostic], status: int = EXIT_INVALID, github: bool = False) -> NoReturn:
    render = diagnostics_github if github else diagnostics_text
    click.echo(render(diagnostics), err=not github)
    count = sum(1 for d in diagnostics if d.severity == "error")
    if not github:
        click.echo(counted(count, "error"), err=True)
    sys.exit(status)


def _policy_folder(path: str | None) -> Path:
    """The policy a command reads: `--policy`, else the checkout's, else the bundled one."""
    return Path(path) if path is not None else project().policy


def _corpus_folders(paths: Sequence[str]) -> list[Path]:
    """The corpus a command runs: `--corpus` (repeatable), else the checkout's, else the bundled one."""
    return [Path(p) for p in paths] or [project().corpus]


def _policy(path: str | None) -> Policy:
    try:
        return load_policy(_policy_folder(path))
    except Problems as error:
        _fail(error.diagnostics)


def policy_option(command: F) -> F:
    return click.option(
        "--policy",
        "policy_path",
        metavar="PATH",
        default=None,
        help="Policy file or folder (default: `policy/` of the checkout you are in, else the bundled policy).",
    )(command)


def annotation_format_option(command: F) -> F:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "github"]),
        default="text",
        show_default=True,
        help="`github` prints workflow annotations that show on the pull request's lines.",
    )(command)


def corpus_option(command: F) -> F:
    return click.option(
        "--corpus",
        "corpus_paths",
        multiple=True,
        metavar="PATH",
        help="Corpus file or folder (repeatable; default: `corpus/` of the checkout you are in, else the bundled corpus).",
    )(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="billability")
def main() -> None:
    """Decide, explain and test what San Diego County DMC-ODS programs may bill as case management.

    \b
    Examples:
      billability check activity=provider_communication contact_mode=voicemail provider_credential=lpha
      billability validate
      billability test
    """


# --- check -----------------------------------------------------------------------------


@main.command()
@click.argument("items", nargs=-1, metavar="[FILE|-] [FACT=VALUE]...")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@policy_option
def check(items: tuple[str, ...], as_json: bool, policy_path: str | None) -> None:
    """Decide one scenario: is this activity billable, and why?

    Facts come from a YAML or JSON file, from standard input (`-`), or as
    FACT=VALUE arguments (which override the file). Leave out what you do not
    know: the answer then says which facts would decide it.

    \b
    Examples:
      billability check activity=advocacy provider_credential=lpha contact_mode=phone contact_successful=true
      billability check scenario.yaml --json
      echo '{"activity": "transportation"}' | billability check -

    Exit status: 0 when decided (whatever the outcome), 2 for invalid input.
    """
    folder = _policy_folder(policy_path)
    policy = _policy(policy_path)
    facts, locations, problems = _scenario(items, policy)
    try:
        decision = decide(policy, facts, locations.get)
    except Problems as error:
        _fail(Problems([*problems, *error.diagnostics]).diagnostics)
    if problems:
        _fail(problems)
    if as_json:
        click.echo(json.dumps(decision_json(decision), indent=2))
    else:
        click.echo(decision_text(decision, policy))
        click.echo(f"\n(decided by the policy in {shown_folder(folder)})")


def _scenario(items: tuple[str, ...], policy: Policy) -> tuple[dict[str, Any], dict[str, Location], list[Diagnostic]]:
    """The facts given by a file and FACT=VALUE arguments, where each came from, and
    the problems found in the arguments' text (the values' meaning is checked later)."""
    facts: dict[str, Any] = {}
    locations: dict[str, Location] = {}
    problems: list[Diagnostic] = []
    declared = policy.fact_index
    for position, item in enumerate(items, start=1):
        where = Location(f"argument {position} `{item}`")
        if "=" not in item:
            if position != 1:
                problems.append(
                    Diagnostic(
                        "cli.argument", "expected FACT=VALUE here", where, hint="a scenario file must come first"
                    )
                )
                continue
            file_facts, file_locations = _scenario_file(item)
            facts.update(file_facts)
            locations.update(file_locations)
            continue
        name, _, text = item.partition("=")
        name = name.strip()
        fact = declared.get(name)
        locations[name] = where
        if fact is None:
            facts[name] = text
            continue
        if fact.type is FactType.BOOLEAN:
            if text not in {"true", "false"}:
                problems.append(
                    Diagnostic(
                        "scenario.type", f"`{name}` is true or false, not `{text}`", where, "write `true` or `false`"
                    )
                )
                continue
            facts[name] = text == "true"
        elif fact.type is FactType.INTEGER:
            try:
                facts[name] = int(text)
            except ValueError:
                problems.append(
                    Diagnostic(
                        "scenario.type",
                        f"`{name}` is a whole number, not `{text}`",
                        where,
                        "write a number such as `12`",
                    )
                )
        else:
            facts[name] = text
    return facts, locations, problems


def _scenario_file(name: str) -> tuple[dict[str, Any], dict[str, Location]]:
    try:
        if name == "-":
            raw: bytes = sys.stdin.buffer.read()
            display = "<stdin>"
        else:
            path = Path(name)
            display = name
            raw = path.read_bytes()
        located = read_yaml(raw, display)
    except OSError as error:
        _fail([Diagnostic("file.unreadable", f"cannot read the scenario: {error.strerror or error}", Location(name))])
    except Problems as error:
        _fail(error.diagnostics)
    data = located.data
    prefix: tuple[str, ...] = ()
    if isinstance(data, dict) and isinstance(data.get("facts"), dict):
        data, prefix = data["facts"], ("facts",)
    if not isinstance(data, dict):
        _fail(
            [
                Diagnostic(
                    "scenario.type",
                    "a scenario file holds a mapping of facts to values",
                    located.where(()),
                    hint="for example `activity: advocacy`",
                )
            ]
        )
    return dict(data), {key: located.where_key((*prefix, key)) for key in data}


# --- validate --------------------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@annotation_format_option
@policy_option
def validate(paths: tuple[str, ...], output_format: str, policy_path: str | None) -> None:
    """Check a policy and its corpus, and report every problem at once, as file:line:column.

    The corpus is the `corpus/` beside a checkout's `policy/` folder: its files are read
    and checked as `billability test` loads them (YAML, schema, facts and values the
    policy knows, rule ids it has, quotes in its source), without running the cases.
    The first line is `POLICY: N facts, N rules: valid`; the second says what was
    checked of the corpus (`corpus/: N cases in N files: valid`).

    \b
    Examples:
      billability validate
      billability validate policy/
      billability validate --policy policy/ --format github

    Exit status: 0 when the policy and its corpus are valid, 1 when there are problems.
    """
    targets = [Path(p) for p in paths] + ([Path(policy_path)] if policy_path else [])
    diagnostics: list[Diagnostic] = []
    for target in targets or [_policy_folder(None)]:
        corpus = project().corpus if not targets else corpus_beside(target)
        policy: Policy | None = None
        try:
            policy = load_policy(target)
        except Problems as error:
            diagnostics.extend(error.diagnostics)
        if policy is not None and output_format == "text":
            click.echo(
                f"{shown_folder(target)}: {counted(len(policy.facts), 'fact')}, {counted(len(policy.rules), 'rule')}: valid"
            )
        if corpus is None or not corpus.is_dir():
            if policy is not None and output_format == "text":
                click.echo(f"no corpus/ beside {shown_folder(target)}: only the policy was checked")
            continue
        # Without a policy, the corpus is still read for its YAML and schema problems.
        checked = check_corpus([corpus], policy)
        diagnostics.extend(checked.problems)
        if policy is not None and not checked.problems and output_format == "text":
            click.echo(
                f"{shown_folder(corpus)}: {counted(len(checked.cases), 'case')} in {counted(checked.files, 'file')}: valid"
            )
    if diagnostics:
        _fail(diagnostics, EXIT_PROBLEMS, github=output_format == "github")


# --- test ------------------------------------------------------------------------------


@main.command("test")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("-v", "--verbose", is_flag=True, help="List every case, not only failures.")
@policy_option
@corpus_option
def test_command(paths: tuple[str, ...], verbose: bool, policy_path: str | None, corpus_paths: tuple[str, ...]) -> None:
    """Run the scenario corpus against the policy.

    Each failing case is printed with its file:line and what differs. Run on whole
    folders (the default), it also checks the corpus as a whole: every statement of
    the source table is cited by a case, every case's `source` is a whole statement,
    every rule decides a case. The last line is `N passed, N failed`.

    \b
    Examples:
      billability test
      billability test corpus/boundaries.yaml -v
      billability test --policy my-policy/ --corpus my-corpus/

    Exit status: 0 when every case passes, 1 when any fails, 2 for invalid files.
    """
    policy = _policy(policy_path)
    corpus = _corpus_folders([*paths, *corpus_paths])
    try:
        cases = load_cases(corpus, policy)
    except Problems as error:
        _fail(error.diagnostics)
    results = run_cases(policy, cases)
    failed = [r for r in results if not r.passed]
    for result in results:
        if result.passed:
            if verbose:
                click.echo(f"{result.case.location}: ok: {result.case.name}")
            continue
        click.echo(f"{result.case.location}: FAIL: {result.case.name}")
        for difference in result.differences:
            click.echo(f"    {difference}")
    # The corpus as a whole (every statement of the source cited, every rule deciding a
    # case) is judged only when whole folders are run, not a file picked out of one.
    findings = corpus_findings(policy, results) if all(path.is_dir() for path in corpus) else []
    if findings:
        click.echo(diagnostics_text(findings))
    whole = f", {counted(len(findings), 'problem')} of the corpus as a whole" if findings else ""
    click.echo(
        f"{_listed_folders(corpus)} against {shown_folder(_policy_folder(policy_path))}: "
        f"{len(results) - len(failed)} passed, {len(failed)} failed{whole}"
    )
    if failed or findings:
        sys.exit(EXIT_PROBLEMS)


# --- maintainer commands: table, lint, diff ---------------------------------------------


@main.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["markdown", "csv", "json"]),
    default="markdown",
    show_default=True,
    help="How to print the table.",
)
@policy_option
def table(output_format: str, policy_path: str | None) -> None:
    """Print the decision table: every region of the input space with its outcome.

    Each row is one region; a fact shown as `any` does not change the decision
    there. Every complete scenario lies in exactly one row.

    \b
    Examples:
      billability table
      billability table --format csv > table.csv
      billability table --format json --policy my-policy/

    Exit status: 0, or 2 when the policy is invalid.
    """
    from billability.decide.regions import decision_table, table_csv, table_json, table_markdown

    render = {"markdown": table_markdown, "csv": table_csv, "json": table_json}[output_format]
    decisions = decision_table(_policy(policy_path))
    click.echo(render(decisions))
    # On stderr, so that the CSV or JSON on stdout stays clean.
    click.echo(f"{counted(len(decisions.regions), 'region')} of {shown_folder(_policy_folder(policy_path))}", err=True)


@main.command()
@annotation_format_option
@policy_option
@click.option("-v", "--verbose", is_flag=True, help="Also list the overlaps resolved by design.")
def lint(output_format: str, policy_path: str | None, verbose: bool) -> None:
    """Find rules that never decide, conditions that never hold, unused facts and values,
    gaps where no rule speaks, and overlaps the precedence resolves.

    Errors (`lint.never-holds`, `lint.never-decides`) fail the check; warnings and
    notes (`lint.overlap`) are listed. Overlaps resolved by design, where a
    not_billable rule is an exception carved out of a billable or needs_review rule
    (`lint.overlap-by-design`), are counted in one line; `--verbose` lists them.

    \b
    Examples:
      billability lint
      billability lint --verbose
      billability lint --policy policy/ --format github

    Exit status: 0 without errors, 1 with errors or when the policy is invalid.
    """
    from billability.checks.lint import by_design, counts, lint_policy
    from billability.model.diagnostics import Severity

    folder = _policy_folder(policy_path)
    try:
        policy = load_policy(folder)
    except Problems as error:
        _fail(error.diagnostics, EXIT_PROBLEMS, github=output_format == "github")
    findings = lint_policy(policy)
    designed = by_design(findings)
    surprising = tuple(d for d in findings if d not in designed)
    shown = findings if verbose else surprising
    if shown:
        click.echo(diagnostics_github(shown) if output_format == "github" else diagnostics_text(shown))
    found = counts(surprising)
    if output_format == "text":
        if designed:
            listed = "listed above" if verbose else "--verbose lists them"
            click.echo(
                f"{counted(len(designed), 'overlap')} resolved by design by the precedence "
                f"(not_billable exceptions inside billable or needs_review rules); {listed}"
            )
        click.echo(
            f"{counted(found[Severity.ERROR], 'error')}, {counted(found[Severity.WARNING], 'warning')}, "
            f"{counted(found[Severity.INFO], 'note')} in {shown_folder(folder)}"
        )
    if found[Severity.ERROR]:
        sys.exit(EXIT_PROBLEMS)


@main.command("diff")
@click.argument("base")
@click.argument("head", required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="`markdown` prints a pull-request comment.",
)
@click.option(
    "--folder",
    default=None,
    metavar="PATH",
    help="The policy folder inside the repository, for revisions (default: the checkout's, else `policy`).",
)
@click.option(
    "--corpus",
    "corpus_paths",
    multiple=True,
    metavar="PATH",
    help="Corpus file or folder to run with HEAD instead of HEAD's own `corpus/` (repeatable).",
)
def diff_command(
    base: str, head: str | None, output_format: str, folder: str | None, corpus_paths: tuple[str, ...]
) -> None:
    """Show what a policy change does: the scenarios whose outcome changes.

    BASE and HEAD are git revisions (the policy and corpus at that revision) or
    folders. Without HEAD, BASE is compared with the checkout as it is on disk,
    edits not yet committed included. Each group of scenarios is worded with the
    labels staff read, the facts and values as the policy files name them beneath,
    and counts the combinations of answers it holds (a fact counts where it is
    asked). Groups of partial scenarios, some answer not known, that go to or from
    undetermined follow. Also lists the facts and values renamed
    (breaking for callers and data mappings; outcomes are compared under the new
    names), the rules and facts added, removed or changed, the cases of HEAD's
    corpus that fail with HEAD, and the cases removed from the corpus or added to
    it (by name, BASE's corpus against HEAD's; not with `--corpus`).

    \b
    Examples:
      billability diff main
      billability diff origin/main HEAD
      billability diff origin/main HEAD --format markdown > policy-diff.md
      billability diff old-policy/ policy/
      billability diff HEAD --corpus corpus/boundaries.yaml

    Exit status: 0 when no outcome changes (a pure rename included), 1 when some
    do, 2 for invalid input or when either side's corpus does not load. Cases
    removed or added are listed, and change no exit status: 1 means outcomes change.
    """
    from billability.history.diff import diff_sides
    from billability.history.diff_report import diff_markdown, diff_text
    from billability.history.revisions import read_sides

    try:
        sides = read_sides(base, head, folder, [Path(p) for p in corpus_paths])
        result = diff_sides(*sides, compare_corpora=not corpus_paths)
    except Problems as error:
        _fail(error.diagnostics)
    click.echo(diff_markdown(result) if output_format == "markdown" else diff_text(result))
    if not result.corpus_loads:
        # The text report lists them already; a Markdown report usually goes to a file.
        if output_format == "markdown":
            click.echo(diagnostics_text(result.corpus_problems), err=True)
        count = len(result.corpus_problems)
        click.echo(f"{counted(count, 'error')}: the corpus does not load", err=True)
        sys.exit(EXIT_INVALID)
    if result.outcomes_change:
        sys.exit(EXIT_PROBLEMS)


# --- mutate and coverage: how well the corpus pins the policy down ----------------------


def _corpus(policy: Policy, corpus_paths: tuple[str, ...]) -> list[Any]:
    try:
        return load_cases(_corpus_folders(corpus_paths), policy)
    except Problems as error:
        _fail(error.diagnostics)


def _listed_folders(paths: Sequence[Path]) -> str:
    return ", ".join(shown_folder(path) for path in paths)


@main.command()
@policy_option
@corpus_option
@click.option(
    "-v", "--verbose", is_flag=True, help="Also list each killed mutant with its case, and each equivalent one."
)
def mutate(policy_path: str | None, corpus_paths: tuple[str, ...], verbose: bool) -> None:
    """Change the policy in small ways and check that the corpus notices each change that matters.

    Each mutant drops or negates a condition, removes or adds a value in a list, moves a
    number by one, flips a rule's outcome, deletes a rule, swaps two outcomes'
    precedence, changes the default outcome, or changes when a fact is relevant. A
    mutant that decides every scenario as the policy does is equivalent: that is
    proved over the decision table, no list is kept. Any other mutant must fail some
    corpus case; a survivor is printed with a case to paste into the corpus that kills it.

    \b
    Examples:
      billability mutate
      billability mutate --policy policy/ --corpus corpus/ -v

    Exit status: 0 when every mutant is killed or equivalent, 1 when one survives or the
    corpus fails on the policy itself (no kill rate then), 2 for invalid files.
    """
    from billability.checks.mutate import Status, corpus_case, decision_words, run_mutants

    policy = _policy(policy_path)
    corpus_folders = _corpus_folders(corpus_paths)
    cases = _corpus(policy, corpus_paths)
    policy_folder = shown_folder(_policy_folder(policy_path))
    try:
        report = run_mutants(policy, cases)
    except Problems as error:
        click.echo(diagnostics_text(error.diagnostics), err=True)
        failing = len(error.diagnostics)
        click.echo(
            f"{_listed_folders(corpus_folders)} fails against {policy_folder}: "
            f"{counted(failing, 'case')} {'fails' if failing == 1 else 'fail'}, so no mutant can be judged (no kill rate); "
            "fix the corpus or the policy first (`billability test`)"
        )
        sys.exit(EXIT_PROBLEMS)
    printed: dict[str, str] = {}
    for result in report.results:
        where = f"{result.mutant.location}: " if result.mutant.location else ""
        if result.status is Status.SURVIVED and result.witness is not None:
            witness = result.witness
            click.echo(f"{where}{result.mutant.name} survived")
            click.echo(
                f"  the policy decides {decision_words(witness.policy)}; the mutant {decision_words(witness.variant)}"
            )
            case = corpus_case(witness)
            if case in printed:
                click.echo(f"  the case printed for `{printed[case]}` kills it too")
                continue
            printed[case] = result.mutant.name
            click.echo("  a corpus case that kills it (paste it under `cases:` in a corpus file):")
            click.echo(case)
        elif verbose and result.killed_by is not None:
            click.echo(f"{where}{result.mutant.name} killed by {result.killed_by.location}")
        elif verbose:
            click.echo(f"{where}{result.mutant.name} equivalent: it decides every scenario as the policy does")
    click.echo(
        f"{counted(len(report.results), 'mutant')} of {policy_folder}: {report.killed} killed, "
        f"{report.equivalent} equivalent by proof, {len(report.survivors)} survived; "
        f"kill rate {report.kill_rate:.1%}"
    )
    if report.survivors:
        sys.exit(EXIT_PROBLEMS)


@main.command()
@policy_option
@corpus_option
def coverage(policy_path: str | None, corpus_paths: tuple[str, ...]) -> None:
    """Report which rules no case decides and which conditions no case sees both ways.

    A rule is covered when it is among the deciding rules of some case; a condition
    when some case finds it true and some case false where it decides its rule.

    \b
    Examples:
      billability coverage
      billability coverage --policy policy/ --corpus corpus/

    Exit status: 0 at 100% of rules and conditions, 1 below, 2 for invalid files.
    """
    from billability.checks.coverage import measure

    policy = _policy(policy_path)
    report = measure(policy, _corpus(policy, corpus_paths))
    for rule in report.rules:
        if not rule.covered:
            where = f"{rule.location}: " if rule.location else ""
            click.echo(f"{where}rule {rule.rule} decides no case")
    for condition in report.conditions:
        if not condition.covered:
            where = f"{condition.location}: " if condition.location else ""
            never = "true" if not condition.seen_true else "false"
            if not condition.seen_true and not condition.seen_false:
                never = "true or false"
            click.echo(
                f"{where}rule {condition.rule}: `{condition.condition}` is never {never} where it decides the rule"
            )
    rules, conditions = len(report.rules), len(report.conditions)
    click.echo(
        f"{shown_folder(_policy_folder(policy_path))}: rules: {report.rules_covered}/{rules} decide a case ({_percent(report.rules_covered, rules)}); "
        f"conditions: {report.conditions_covered}/{conditions} seen true and false ({_percent(report.conditions_covered, conditions)})"
    )
    if not report.complete:
        sys.exit(EXIT_PROBLEMS)


def _percent(part: int, whole: int) -> str:
    return f"{(part / whole if whole else 1.0):.1%}"


# --- audit: an export of service records, decided row by row -----------------------------


def _engine_choices() -> list[str]:
    from billability.audit.engines import ENGINES

    return ["duckdb", *sorted(ENGINES)]


@main.command()
@click.argument("records", metavar="RECORDS")
@click.option(
    "--map", "mapping_path", metavar="MAPPING", help="YAML mapping of the export's columns and codes to facts."
)
@click.option("-o", "--output", metavar="OUT", help="Write every row with its decision (.csv, .jsonl or .parquet).")
@click.option(
    "--format",
    "input_format",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default=None,
    help="The format of RECORDS (default: from its extension).",
)
@click.option("--encoding", metavar="CODEC", help="The text's encoding, e.g. cp1252, latin-1, utf-16 (default: UTF-8).")
@click.option(
    "--delimiter", metavar="CHAR", help="The character between a CSV file's cells, e.g. ';' or tab (default: ,)."
)
@click.option("--report", "report_path", metavar="REPORT.html", help="Write a self-contained HTML report.")
@click.option(
    "--bom",
    is_flag=True,
    help="Start the CSV output with a UTF-8 byte order mark, so that Excel shows its accented letters as written.",
)
@click.option(
    "--fail-on",
    metavar="OUTCOMES",
    default=None,
    help="Exit 1 when any row has one of these outcomes (comma list, e.g. `not_billable,invalid`).",
)
@click.option(
    "--engine",
    type=click.Choice(_engine_choices()),
    default="duckdb",
    show_default=True,
    help="What decides the rows: `duckdb` runs the mapping and the policy's compiled query inside DuckDB; "
    "`python` reads each row and decides it with the policy's own evaluator. Both write the same output.",
)
@policy_option
def audit(
    records: str,
    mapping_path: str | None,
    output: str | None,
    input_format: str | None,
    encoding: str | None,
    delimiter: str | None,
    report_path: str | None,
    bom: bool,
    fail_on: str | None,
    engine: str,
    policy_path: str | None,
) -> None:
    """Decide every service record of an export and sum up what may be billed.

    RECORDS is a CSV, JSON Lines or Parquet file, one service a row. Without
    `--map`, columns named like the facts hold the facts. A blank cell is an unknown
    fact; a row with a cell the mapping cannot read is `invalid`, a row outside the
    mapping's `scope:` is `not_audited`. Every row comes
    out, in order, with `row`, `outcome`, `rules`, `reasons`, `missing`, `problems`,
    `policy_id` and `policy_version` after its own columns.

    \b
    Examples:
      billability audit docs/audit/ehr-export.csv --map docs/audit/mapping.yaml
      billability audit export.csv --map mapping.yaml -o audited.csv --report audit.html
      billability audit export.csv --map mapping.yaml -o for-excel.csv --bom
      billability audit export.parquet --map mapping.yaml -o audited.parquet --fail-on not_billable,invalid

    Exit status: 0 when every row was read and written, whatever the outcomes; 1 when
    a `--fail-on` outcome occurred; 2 when the input or mapping cannot be used or an
    output would overwrite an input or the other output; 130 when stopped by Ctrl-C
    (SIGINT), 143 by SIGTERM. Nothing is written unless the audit completes.
    """
    from billability.audit.outcomes import OUTCOMES
    from billability.audit.run import audit_file

    failing = _outcomes(fail_on, OUTCOMES)
    try:
        with _stopped_by_signals(), _progress_bar() as progress:
            summary = audit_file(
                records,
                mapping=mapping_path,
                output=output,
                report=report_path,
                policy=policy_path,
                engine=engine,
                input_format=input_format,
                encoding=encoding,
                delimiter=delimiter,
                bom=bom,
                progress=progress,
            )
    except Problems as error:
        _fail(error.diagnostics)
    _print_summary(summary, output, report_path)
    occurred = [o for o in failing if summary.count(o)]
    if occurred:
        click.echo(
            "failing because of --fail-on: " + ", ".join(f"{summary.count(o):,} {o}" for o in occurred), err=True
        )
        sys.exit(EXIT_PROBLEMS)


@main.command()
@click.option(
    "--dialect",
    default="duckdb",
    show_default=True,
    metavar="DIALECT",
    help="The database's SQL dialect: duckdb, postgres, spark (also Databricks) or sqlite.",
)
@click.option(
    "--table",
    default="records",
    show_default=True,
    metavar="NAME",
    help="The table (or view) of records; may be qualified (`db.schema.table`).",
)
@click.option(
    "--map",
    "mapping_path",
    metavar="MAPPING",
    help="A mapping of the table's columns and codes to the facts (YAML), as `billability audit --map` takes.",
)
@click.option("-o", "--output", metavar="FILE", help="Write the query to FILE instead of printing it.")
@policy_option
def sql(dialect: str, table: str, mapping_path: str | None, output: str | None, policy_path: str | None) -> None:
    """Print the policy as one SQL query over a table of service records.

    The query decides every record of the table as `billability audit` does and
    returns its columns, then `row`, `outcome`, `rules`, `reasons`, `missing`,
    `problems`, `policy_id` and `policy_version`, with the audit's words (lists are
    arrays, and JSON text in SQLite). With `--map`, the table is the export itself:
    its own columns and codes, read as the mapping says (codes matched ignoring case
    and the whitespace around them, facts derived from dates, rows outside `scope:`
    `not_audited`). Without it, a column named like each fact holds the fact's values:
    a value's name, `true`/`false`, a whole number. A blank cell is an unknown fact.
    The one difference from the audit: a problem's hint never guesses a close code
    (`did you mean ...?`), which a database cannot work out.

    \b
    Examples:
      billability sql > policy.sql
      billability sql --map docs/audit/mapping.yaml --table ehr_export
      billability sql --dialect spark --map mapping.yaml --table claims.ehr_export -o policy.sql
      billability sql --dialect postgres
      billability sql --dialect sqlite --table records

    Exit status: 0 when the query is written; 2 when the dialect, the table's name or
    the mapping cannot be used.
    """
    from billability.audit.mapping import load_mapping
    from billability.audit.results import check_places
    from billability.audit.sql import check_dialect, policy_sql, table_of
    from billability.model.resources import real_path

    policy = _policy(policy_path)
    problems: list[Diagnostic] = []
    try:
        check_dialect(dialect)
    except Problems as error:
        problems += [
            Diagnostic(d.code, d.message, Location(f"option --dialect `{dialect}`"), d.hint) for d in error.diagnostics
        ]
    try:
        table_of(table)
    except ValueError as error:
        problems.append(
            Diagnostic(
                "sql.table",
                f"`{table}` is not a table name: {error}",
                Location(f"option --table `{table}`"),
                hint="name the table, qualified as `schema.table` where needed; quote nothing",
            )
        )
    mapping = None
    inputs = [(f"the policy file `{f}`", real_path(f)) for f in (*policy.files, policy.source_file) if f]
    if mapping_path is not None:
        inputs.append(("the mapping", Path(mapping_path)))
        try:
            mapping = load_mapping(Path(mapping_path), policy, None)
        except Problems as error:
            problems += error.diagnostics
    if output is not None:
        problems += check_places([("--output", "the query", output)], inputs)
    if problems:
        _fail(problems)
    text = policy_sql(policy, table, dialect, mapping=mapping) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_aside(Path(output), text)


def _outcomes(text: str | None, allowed: Sequence[str]) -> list[str]:
    """The outcomes `--fail-on` names, each once; exits when it names none or an unknown one."""
    from billability.model.diagnostics import hint_for, one_of

    if text is None:
        return []
    where = Location(f"option --fail-on `{text}`")
    chosen = list(dict.fromkeys(word.strip() for word in text.split(",") if word.strip()))
    problems = [
        Diagnostic("cli.fail-on", f"`{word}` is not an outcome", where, hint=hint_for(word, allowed))
        for word in chosen
        if word not in allowed
    ]
    if not chosen:
        hint = "name one or more outcomes, separated by commas; " + one_of(allowed)
        problems.append(Diagnostic("cli.fail-on", "no outcome is named", where, hint=hint))
    if problems:
        _fail(problems)
    return chosen


PROGRESS_FROM_ROWS = 50_000


@contextmanager
def _progress_bar() -> Iterator[Callable[[int, int], None] | None]:
    """What to tell the rows done and the rows in all: a progress bar on stderr, shown
    for a long run only when stderr is a terminal (else nothing, None)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("auditing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: list[Any] = []

    def told(done: int, total: int) -> None:
        if total < PROGRESS_FROM_ROWS:
            return
        if not tasks:
            bar.start()
            tasks.append(bar.add_task("rows", total=total))
        bar.update(tasks[0], completed=done)

    try:
        yield told
    finally:
        bar.stop()


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """While the audit runs, SIGINT (Ctrl-C) and SIGTERM stop it: its files are removed,
    one line says so, and the exit status is 128 plus the signal's number (130, 143).
    Signals the command was started to ignore stay ignored; a second one is ignored
    while the first one's files are being removed. (Run in another thread than the
    main one, the command leaves signals as they are.)"""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[signal.Signals] = []
    stopping = (signal.SIGINT, signal.SIGTERM)

    def stop(number: int, frame: object) -> None:
        received.append(signal.Signals(number))
        for each in stopping:
            signal.signal(each, signal.SIG_IGN)
        raise KeyboardInterrupt

    before = {each: signal.getsignal(each) for each in stopping}
    for each, handler in before.items():
        if handler is not signal.SIG_IGN and handler is not None:
            signal.signal(each, stop)
    try:
        yield
    except BaseException:
        if not received:
            raise
        click.echo(f"stopped by {received[0].name}: nothing was written", err=True)
        sys.exit(128 + received[0].value)
    finally:
        for each, handler in before.items():
            if handler is not None:
                signal.signal(each, handler)


def _write_aside(target: Path, text: str) -> None:
    from billability.audit.results import write_aside

    try:
        write_aside(target, text)
    except OSError as error:
        _fail([Diagnostic("file.unwritable", f"cannot write the report: {error.strerror}", Location(str(target)))])


def _print_summary(summary: Any, output: str | None, report_path: str | None) -> None:
    from rich.console import Console

    from billability.audit.report import summary_tables

    console = Console(file=sys.stdout, highlight=False)
    console.print(summary_tables(summary), soft_wrap=True)
    for what, path in (("rows", output), ("report", report_path)):
        if path is not None:
            console.print(f"wrote the {what} to {path}", markup=False)
