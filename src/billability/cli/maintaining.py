"""The maintainer's commands: `validate`, `test` and `lint` (`measuring` holds `mutate` and
`coverage`, `comparing` holds `diff`).

In: `--policy`, `--corpus`, paths, git revisions and print formats.
Out: each check's findings, file:line:column first, and a summary line; the exit status
says whether the policy and its corpus pass (1 when not, 2 for invalid input).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from billability.checks.every_version import VersionRun, run_every_version
from billability.checks.lint import by_design, counts, lint_policy
from billability.checks.validation import validate as validate_policy
from billability.cli.options import (
    EXIT_PROBLEMS,
    annotation_format_option,
    corpus_option,
    fail,
    listed_folders,
    policy_given,
    policy_option,
    version_label,
)
from billability.decide.explain import diagnostics_github, diagnostics_text
from billability.model.diagnostics import Diagnostic, Problems, Severity, counted
from billability.model.resources import corpus_beside, policy_and_corpus, policy_folder, shown_folder
from billability.policy.compile import load_policy


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
    """Run the scenario corpus against the policy, and each released version's corpus against that version.

    Each failing case is printed with its file:line and what differs. A case with a
    service date (`on: YYYY-MM-DD`) is decided by the version in force that day. Run on
    whole folders (the default), it also checks the corpus as a whole: every statement
    of the source table is cited by a case, every case's `source` is a whole statement,
    every rule decides a case; and then each released version (`policy/releases/VERSION/`)
    against the corpus as it stood for it (`corpus/releases/VERSION/`), each with its own
    summary line `N passed, N failed`. A released version that was edited, or a policy
    changed without raising its version, is an error.

    \b
    Examples:
      billability test
      billability test corpus/boundaries.yaml -v
      billability test --policy my-policy/ --corpus my-corpus/
      billability test --policy HEAD~1

    Exit status: 0 when every case of every version passes, 1 when any fails or a
    release is not as it was released, 2 for invalid files.
    """
    with policy_given(policy_path, with_corpus=not (paths or corpus_paths)) as named:
        chosen = policy_and_corpus(named.policy, [*paths, *corpus_paths] or named.corpus)
        try:
            checked = run_every_version(chosen.policy, chosen.corpus)
        except Problems as error:
            fail(error.diagnostics)
        for version_run in checked.runs:
            _print_run(version_run, verbose)
        if checked.problems:
            click.echo(diagnostics_text(checked.problems))
            click.echo(f"{counted(len(checked.problems), 'problem')} with the released versions")
        if not checked.passed:
            sys.exit(EXIT_PROBLEMS)


def _print_run(version_run: VersionRun, verbose: bool) -> None:
    """A version's failing cases (every case with `verbose`), then its summary line."""
    run, pinned = version_run.run, version_run.pinned
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
        f"{listed_folders(pinned.corpus)} against {version_label(pinned)}: "
        f"{len(results) - len(failed)} passed, {len(failed)} failed{whole}"
    )


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
