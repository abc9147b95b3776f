"""The `billability` command: the only package that prints or exits.

In: command-line arguments.
Out: text or JSON on stdout, diagnostics on stderr, and an exit status:
0 done, 1 problems found (validate) or cases failed (test), 2 invalid input, and for
`audit` 130 or 143 when a signal (SIGINT, SIGTERM) stopped it.

One module per group of commands, each command parsing its options, calling one library
function and printing what it gives: `deciding` (check, table), `maintaining`
(validate, test, lint, coverage, mutate, diff), `records` (audit, sql); `options` holds
the options they share, the exit statuses and how problems are printed. This module
holds the group, `main` (the console script `billability`).
"""

from __future__ import annotations

import click

from billability.cli.deciding import check, table
from billability.cli.maintaining import coverage, diff_command, lint, mutate, test_command, validate
from billability.cli.records import audit, sql


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


for command in (check, validate, test_command, table, lint, diff_command, mutate, coverage, audit, sql):
    main.add_command(command)
