"""The maintainer's commands: `validate`, `test`, `lint`, `coverage` and `mutate`.

In: `--policy`, `--corpus`, paths, git revisions and print formats.
Out: each check's findings, file:line:column first, and a summary line; the exit status
says whether the policy and its corpus pass (1 when not, 2 for invalid input).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from billability.checks.corpus import Case, load_cases, run_corpus
from billability.checks.coverage import measure
from billability.checks.lint import by_design, counts, lint_policy
from billability.checks.mutate import Status, corpus_case, decision_words, run_mutants
from billability.checks.validation import validate as validate_policy
from billability.cli.options import (
    EXIT_PROBLEMS,
    annotation_format_option,
    corpus_option,
    fail,
    listed_folders,
    loaded_policy,
    policy_given,
    policy_option,
)
from billability.decide.explain import diagnostics_github, diagnostics_text
from billability.model.diagnostics import Diagnostic, Problems, Severity, counted
from billability.model.resources import corpus_beside, policy_and_corpus, policy_folder, shown_folder
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy


@click.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@annotation_format_option
@policy_option
def validate(paths: tuple[str, ...], output_format: str, policy_path: str | None) -> None:
    """Check a policy and its corpus, and report every problem at once, as file:line:column.

    The corpus is the `corpus/` beside a checkout's `policy/` folder (with `--policy REV`,
    the corpus at that revision): its files are read and checked as `billability test`
    loads them (YAML, schema, facts and values the policy knows, rule ids it has, quotes
    in its source), without running the cases.
    The first line is `POLICY: N facts, N rules: valid`; the second says what was
    checked of the corpus (`corpus/: N cases in N files: valid`).

    \b
    Examples:
      billability validate
      billability validate policy/
      billability validate --policy policy/ --format github

    Exit status: 0 when the policy and its corpus are valid, 1 when there are problems.
    """
    with policy_given(policy_path, with_corpus=True, status=EXIT_PROBLEMS, github=output_format == "github") as named:
        targets = [Path(p) for p in paths] + ([named.policy] if policy_path and named.policy else [])
        if targets:
            validations = [validate_policy(target, corpus_beside(target)) for target in targets]
        else:
            chosen = policy_and_corpus()
            validations = [validate_policy(chosen.policy, chosen.corpus[0])]
        diagnostics: list[Diagnostic] = []
        for validation in validations:
            target, policy, checked = validation.target, validation.policy, validation.checked
            diagnostics.extend(validation.problems)
            if policy is not None and output_format == "text":
                click.echo(
                    f"{shown_folder(target)}: {counted(len(policy.facts), 'fact')}, {counted(len(policy.rules), 'rule')}: valid"
                )
            if validation.corpus is None or checked is None:
                if policy is not None and output_format == "text":
                    click.echo(f"no corpus/ beside {shown_folder(target)}: only the policy was checked")
                continue
            if policy is not None and not checked.problems and output_format == "text":
                click.echo(
                    f"{shown_folder(validation.corpus)}: {counted(len(checked.cases), 'case')} in {counted(checked.files, 'file')}: valid"
                )
        if diagnostics:
            fail(diagnostics, EXIT_PROBLEMS, github=output_format == "github")


@click.command("test")
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
      billability test --policy HEAD~1

    Exit status: 0 when every case passes, 1 when any fails, 2 for invalid files.
    """
    with policy_given(policy_path, with_corpus=not (paths or corpus_paths)) as named:
        chosen = policy_and_corpus(named.policy, [*paths, *corpus_paths] or named.corpus)
        policy = loaded_policy(chosen.policy)
        try:
            run = run_corpus(policy, chosen.corpus)
        except Problems as error:
            fail(error.diagnostics)
        results, failed, findings = run.results, run.failed, run.findings
        for result in results:
            if result.passed:
                if verbose:
                    click.echo(f"{result.case.location}: ok: {result.case.name}")
                continue
            click.echo(f"{result.case.location}: FAIL: {result.case.name}")
            for difference in result.differences:
                click.echo(f"    {difference}")
        if findings:
            click.echo(diagnostics_text(findings))
        whole = f", {counted(len(findings), 'problem')} of the corpus as a whole" if findings else ""
        click.echo(
            f"{listed_folders(chosen.corpus)} against {shown_folder(chosen.policy)}: "
            f"{len(results) - len(failed)} passed, {len(failed)} failed{whole}"
        )
        if failed or findings:
            sys.exit(EXIT_PROBLEMS)


@click.command()
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
    with policy_given(policy_path, status=EXIT_PROBLEMS, github=output_format == "github") as named:
        folder = policy_folder(named.policy)
        try:
            policy = load_policy(folder)
        except Problems as error:
            fail(error.diagnostics, EXIT_PROBLEMS, github=output_format == "github")
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


# --- mutate and coverage: how well the corpus pins the policy down ----------------------


def _cases(policy: Policy, corpus: list[Path]) -> list[Case]:
    try:
        return load_cases(corpus, policy)
    except Problems as error:
        fail(error.diagnostics)


@click.command()
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
    with policy_given(policy_path, with_corpus=not corpus_paths) as named:
        chosen = policy_and_corpus(named.policy, corpus_paths or named.corpus)
        policy = loaded_policy(chosen.policy)
        cases = _cases(policy, list(chosen.corpus))
        shown_policy = shown_folder(chosen.policy)
        try:
            report = run_mutants(policy, cases)
        except Problems as error:
            click.echo(diagnostics_text(error.diagnostics), err=True)
            failing = len(error.diagnostics)
            click.echo(
                f"{listed_folders(chosen.corpus)} fails against {shown_policy}: "
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
            f"{counted(len(report.results), 'mutant')} of {shown_policy}: {report.killed} killed, "
            f"{report.equivalent} equivalent by proof, {len(report.survivors)} survived; "
            f"kill rate {report.kill_rate:.1%}"
        )
        if report.survivors:
            sys.exit(EXIT_PROBLEMS)


@click.command()
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
    with policy_given(policy_path, with_corpus=not corpus_paths) as named:
        chosen = policy_and_corpus(named.policy, corpus_paths or named.corpus)
        policy = loaded_policy(chosen.policy)
        report = measure(policy, _cases(policy, list(chosen.corpus)))
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
            f"{shown_folder(chosen.policy)}: rules: {report.rules_covered}/{rules} decide a case ({_percent(report.rules_covered, rules)}); "
            f"conditions: {report.conditions_covered}/{conditions} seen true and false ({_percent(report.conditions_covered, conditions)})"
        )
        if not report.complete:
            sys.exit(EXIT_PROBLEMS)


def _percent(part: int, whole: int) -> str:
    return f"{(part / whole if whole else 1.0):.1%}"
