"""The commands that decide: `check` (one scenario, explained) and `table` (every region
of the input space with its outcome).

In: a scenario as a file and FACT=VALUE words, or a print format; `--policy`.
Out: the decision as text or JSON, or the decision table as Markdown, CSV or JSON.
"""

from __future__ import annotations

import json

import click

from billability.cli.options import fail, loaded_policy, policy_given, policy_option
from billability.decide.engine import decide
from billability.decide.explain import decision_json, decision_text
from billability.decide.table import decision_table, table_csv, table_json, table_markdown
from billability.model.diagnostics import Problems, counted
from billability.model.resources import policy_folder, shown_folder
from billability.policy.scenario import read_scenario


@click.command()
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
      billability check activity=transportation --policy HEAD~1

    Exit status: 0 when decided (whatever the outcome), 2 for invalid input.
    """
    with policy_given(policy_path) as named:
        folder = policy_folder(named.policy)
        policy = loaded_policy(folder)
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
        else:
            click.echo(decision_text(decision, policy))
            click.echo(f"\n(decided by the policy in {shown_folder(folder)})")


@click.command()
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
    with policy_given(policy_path) as named:
        render = {"markdown": table_markdown, "csv": table_csv, "json": table_json}[output_format]
        folder = policy_folder(named.policy)
        decisions = decision_table(loaded_policy(folder))
        click.echo(render(decisions))
        # On stderr, so that the CSV or JSON on stdout stays clean.
        click.echo(f"{counted(len(decisions.regions), 'region')} of {shown_folder(folder)}", err=True)
