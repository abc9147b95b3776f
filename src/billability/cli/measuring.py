"""The commands that measure how well the corpus pins the policy down: `mutate` and `coverage`.

In: `--policy` and `--corpus` (the checkout's by default).
Out: for the current version, then each released version against the corpus as it stood
for it (when whole folders are measured), what the corpus misses and a summary line
each; the exit status says whether every version passes (1 when not, 2 for invalid
input).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from billability.checks.coverage import measure
from billability.checks.every_version import PinnedCases, pinned_cases
from billability.checks.mutate import Status, corpus_case, decision_words, run_mutants
from billability.cli.options import (
    EXIT_PROBLEMS,
    corpus_option,
    fail,
    listed_folders,
    policy_given,
    policy_option,
    version_label,
)
from billability.decide.explain import diagnostics_text
from billability.model.diagnostics import Problems, counted
from billability.model.resources import policy_and_corpus


def _versions_and_cases(policy: Path | None, corpus: Sequence[Path]) -> tuple[tuple[PinnedCases, ...], bool]:
    """Each version with the cases it decides, and whether a released version has no
    corpus (printed); exits with the problems of a corpus that does not load."""
    chosen = policy_and_corpus(policy, corpus)
    try:
        each, missing = pinned_cases(chosen.policy, chosen.corpus)
    except Problems as error:
        fail(error.diagnostics)
    if missing:
        click.echo(diagnostics_text(missing), err=True)
    return each, bool(missing)


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
    corpus fails on the policy itself (no kill rate then), 2 for invalid files; the
    worst of every version's.
    """
    with policy_given(policy_path, with_corpus=not corpus_paths) as named:
        each, missing = _versions_and_cases(named.policy, [Path(p) for p in corpus_paths] or named.corpus)
        passed = [_mutate_version(version, verbose) for version in each]
        if missing or not all(passed):
            sys.exit(EXIT_PROBLEMS)


def _mutate_version(version: PinnedCases, verbose: bool) -> bool:
    """Mutate one version and print what survived and its summary line; False when a
    mutant survives or the corpus fails on the version itself."""
    policy, shown_policy = version.pinned.policy, version_label(version.pinned)
    try:
        report = run_mutants(policy, list(version.cases))
    except Problems as error:
        click.echo(diagnostics_text(error.diagnostics), err=True)
        failing = len(error.diagnostics)
        click.echo(
            f"{listed_folders(version.pinned.corpus)} fails against {shown_policy}: "
            f"{counted(failing, 'case')} {'fails' if failing == 1 else 'fail'}, so no mutant can be judged (no kill rate); "
            "fix the corpus or the policy first (`billability test`)"
        )
        return False
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
    return not report.survivors


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

    Exit status: 0 at 100% of rules and conditions of every version, 1 below, 2 for
    invalid files.
    """
    with policy_given(policy_path, with_corpus=not corpus_paths) as named:
        each, missing = _versions_and_cases(named.policy, [Path(p) for p in corpus_paths] or named.corpus)
        complete = [_cover_version(version) for version in each]
        if missing or not all(complete):
            sys.exit(EXIT_PROBLEMS)


def _cover_version(version: PinnedCases) -> bool:
    """Print one version's uncovered rules and conditions and its summary line; False below 100%."""
    report = measure(version.pinned.policy, version.cases)
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
        f"{version_label(version.pinned)}: rules: {report.rules_covered}/{rules} decide a case ({_percent(report.rules_covered, rules)}); "
        f"conditions: {report.conditions_covered}/{conditions} seen true and false ({_percent(report.conditions_covered, conditions)})"
    )
    return report.complete


def _percent(part: int, whole: int) -> str:
    return f"{(part / whole if whole else 1.0):.1%}"
