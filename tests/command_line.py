"""`billability` run in the test's own process, as a person types it.

In: the command's arguments. Out: its exit status, standard output and standard error;
a Python exception that escaped the command (a traceback a person would see) fails the
calling test instead.
"""

from __future__ import annotations

from click.testing import CliRunner

from billability.cli import main


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr
