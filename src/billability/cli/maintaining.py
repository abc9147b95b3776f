"""The maintainer's commands: `validate`, `test`, `lint` and `diff` (`measuring` holds
`mutate` and `coverage`).

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
    EXIT_INVALID,
    EXIT_PROBLEMS,
    annotation_format_option,
    corpus_option,
    fail,
    listed_folders,
    policy_option,
    version_label,
)
from billability.decide.explain import diagnostics_github, diagnostics_text
from billability.history.diff import diff_sides
from billability.history.diff_report import diff_markdown, diff_text
from billability.history.revisions import read_sides
from billability.model.diagnostics import Diagnostic, Problems, Severity, counted
from billability.model.resources import corpus_beside, policy_and_corpus, policy_folder, shown_folder
from billability.policy.compile import load_policy


@click.command()
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

    Exit status: 0 when every case of every version passes, 1 when any fails or a
    release is not as it was released, 2 for invalid files.
    """
    chosen = policy_and_corpus(policy_path, [*paths, *corpus_paths])
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
    folder = policy_folder(policy_path)
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


@click.command("diff")
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

    BASE and HEAD are folders, versions of the policy or git revisions. A version
    names a released version (`1.0`: `policy/releases/1.0/` with the corpus as it
    stood for it, `corpus/releases/1.0/`) or the current version's number (the
    checkout on disk); it is read as a version when no file or folder of that name
    exists, and a version wins over a git revision of the same name (name a tag
    `tags/1.0` to compare the revision). A revision is the policy and corpus at that
    revision. Without HEAD, BASE is compared with the checkout as it is on disk,
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
      billability diff 1.0
      billability diff 1.0 1.1
      billability diff HEAD --corpus corpus/boundaries.yaml

    Exit status: 0 when no outcome changes (a pure rename included), 1 when some
    do, 2 for invalid input or when either side's corpus does not load. Cases
    removed or added are listed, and change no exit status: 1 means outcomes change.
    """
    try:
        sides = read_sides(base, head, folder, [Path(p) for p in corpus_paths])
        result = diff_sides(*sides, compare_corpora=not corpus_paths)
    except Problems as error:
        fail(error.diagnostics)
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
