"""The `billability` command: the only package that prints or exits.

In: command-line arguments.
Out: text or JSON on stdout, diagnostics on stderr, and an exit status:
0 done, 1 problems found (validate) or cases failed (test), 2 invalid input, and for
`audit` and `diff --records` 130 or 143 when a signal (SIGINT, SIGTERM) stopped it.

One module per group of commands, each command parsing its options, calling one library
function and printing what it gives: `deciding` (check, table), `maintaining`
(validate, test, lint), `measuring` (mutate, coverage), `comparing` (diff, of scenarios or
of an export's rows), `releasing` (release), `records` (audit, sql); `options` holds
the options they share, the exit statuses and how problems are printed. This module
holds the group, `main` (the console script `billability`).

A command's module is imported when the command is asked for, not at start-up, so
`billability check` loads the policy and decide stages and not DuckDB, sqlglot and the
rest of the audit (about a third of a second of CPU on every call). This is the one
import by name in the package, and it is for start-up time: the modules it names import
everything they use at their top.
"""

from __future__ import annotations

import importlib

import click

# Each command's name -> the module that defines it and the command's name there.
COMMANDS = {
    "audit": ("billability.cli.records", "audit"),
    "check": ("billability.cli.deciding", "check"),
    "coverage": ("billability.cli.measuring", "coverage"),
    "diff": ("billability.cli.comparing", "diff_command"),
    "lint": ("billability.cli.maintaining", "lint"),
    "mutate": ("billability.cli.measuring", "mutate"),
    "release": ("billability.cli.releasing", "release_command"),
    "sql": ("billability.cli.records", "sql"),
    "table": ("billability.cli.deciding", "table"),
    "test": ("billability.cli.maintaining", "test_command"),
    "validate": ("billability.cli.maintaining", "validate"),
}


class Commands(click.Group):
    """A group whose commands come from `COMMANDS`, each loaded when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # Click suggests a close name ("Did you mean 'check'?") from the commands the
        # group holds, and this one holds none until asked: suggest from `COMMANDS`.
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as error:
            raise click.exceptions.NoSuchCommand(error.command_name, possibilities=COMMANDS, ctx=ctx) from None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, name = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), name)
        return command


def commands() -> dict[str, click.Command]:
    """Every command of `main` by name, loaded."""
    context = click.Context(main)
    return {name: command for name in main.list_commands(context) if (command := main.get_command(context, name))}


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="billability")
def main() -> None:
    """Decide, explain and test what San Diego County DMC-ODS programs may bill as case management.

    \b
    Examples:
      billability check activity=provider_communication contact_mode=voicemail provider_credential=lpha
      billability validate
      billability test
    """
