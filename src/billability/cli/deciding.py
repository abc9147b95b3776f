"""The commands that decide: `check` (one scenario, explained) and `table` (every region
of the input space with its outcome).

In: a scenario as a file and FACT=VALUE words, or a print format; `--policy`.
Out: the decision as text or JSON, or the decision table as Markdown, CSV or JSON.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import click

from billability.cli.options import fail, loaded_policy, policy_given, policy_option
from billability.decide.engine import decide
from billability.decide.explain import decision_json, decision_text
from billability.decide.table import decision_table, table_csv, table_json, table_markdown
from billability.model.diagnostics import Problems, counted
from billability.model.resources import policy_folder, shown_folder
from billability.policy.compiled import Policy
from billability.policy.scenario import read_scenario
from billability.policy.versions import PolicyVersions, effective_date, load_versions

on_option = click.option(
    "--on",
    "service_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="The service's date: decide by the version of the policy in force that day (default: the current version).",
)


@click.command()
@click.argument("items", nargs=-1, metavar="[FILE|-] [FACT=VALUE]...")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@on_option
@policy_option
def check(
    items: tuple[str, ...], as_json: bool, service_date: datetime.datetime | None, policy_path: str | None
) -> None:
    """Decide one scenario: is this activity billable, and why?

    Facts come from a YAML or JSON file, from standard input (`-`), or as
    FACT=VALUE arguments (which override the file). Leave out what you do not
    know: the answer then says which facts would decide it.

    \b
    Examples:
      billability check activity=advocacy provider_credential=lpha contact_mode=phone contact_successful=true
      billability check scenario.yaml --json
      billability check --on 2026-12-15 activity=advocacy contact_mode=email
      echo '{"activity": "transportation"}' | billability check -
      billability check activity=transportation --policy HEAD~1

    Exit status: 0 when decided (whatever the outcome), 2 for invalid input.
    """
    with policy_given(policy_path) as named:
        folder = policy_folder(named.policy)
        day = service_date.date() if service_date is not None else None
        policy = loaded_policy(folder) if day is None else _in_force(folder, day)
        try:
            given = read_scenario(items, policy)
        except Problems as error:
            fail(error.diagnostics)
        try:
            decision = decide(policy, given.facts, given.locations.get)
        except Problems as error:
            fail(Problems([*given.problems, *error.diagnostics]).diagnostics)
        if given.problems:
            fail(given.problems)
        if as_json:
            click.echo(json.dumps(decision_json(decision), indent=2))
            return
        click.echo(decision_text(decision, policy))
        if day is not None:
            click.echo(
                f"\n(decided by version {policy.version} of the policy in {shown_folder(folder)}, "
                f"in force on {day.isoformat()})"
            )
            return
        click.echo(f"\n(decided by the policy in {shown_folder(folder)})")
        if effective_date(policy) > datetime.date.today():
            click.echo(
                f"(version {policy.version} takes effect on {policy.effective_from}: for a service before then, "
                "give its date with --on YYYY-MM-DD)"
            )


def _in_force(folder: Path, day: datetime.date) -> Policy:
    """The version in force on `day`; exits with the problems of the versions, or when
    no version was in force then."""
    try:
        versions: PolicyVersions = load_versions(folder)
    except Problems as error:
        fail(error.diagnostics)
    try:
        return versions.deciding(day)
    except Problems as error:
        fail(error.diagnostics)


@click.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["markdown", "csv", "json"]),
    default="markdown",
    show_default=True,
    help="How to print the table.",
)
@on_option
@policy_option
def table(output_format: str, service_date: datetime.datetime | None, policy_path: str | None) -> None:
    """Print the decision table: every region of the input space with its outcome.

    Each row is one region; a fact shown as `any` does not change the decision
    there. Every complete scenario lies in exactly one row.

    \b
    Examples:
      billability table
      billability table --format csv > table.csv
      billability table --format json --policy my-policy/
      billability table --on 2026-12-15

    Exit status: 0, or 2 when the policy is invalid or no version was in force that day.
    """
    with policy_given(policy_path) as named:
        render = {"markdown": table_markdown, "csv": table_csv, "json": table_json}[output_format]
        folder = policy_folder(named.policy)
        day = service_date.date() if service_date is not None else None
        policy = loaded_policy(folder) if day is None else _in_force(folder, day)
        decisions = decision_table(policy)
        click.echo(render(decisions))
        # On stderr, so that the CSV or JSON on stdout stays clean.
        of = shown_folder(folder) if day is None else f"version {policy.version} of {shown_folder(folder)}"
        click.echo(f"{counted(len(decisions.regions), 'region')} of {of}", err=True)
