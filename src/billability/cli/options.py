"""What every command shares: the `--policy`, `--corpus` and `--format` options, the exit
statuses, and how problems are printed before exiting.

In: a command's parsed options and the problems a library function raised.
Out: click options for commands to wear, the policy `--policy` names (a folder, or a
git revision read for as long as the command runs), a loaded `Policy` or an exit with its
problems on stderr (or as workflow annotations on stdout with `--format github`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from billability.checks.every_version import Pinned
from billability.decide.explain import diagnostics_github, diagnostics_text
from billability.history.archive import NamedPolicy, named_policy
from billability.model.diagnostics import Diagnostic, Problems, counted
from billability.model.resources import shown_folder
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy

F = TypeVar("F", bound=Callable[..., Any])

EXIT_PROBLEMS = 1
EXIT_INVALID = 2


def fail(diagnostics: Sequence[Diagnostic], status: int = EXIT_INVALID, github: bool = False) -> NoReturn:
    """Print the problems and their count, and exit with `status`."""
    render = diagnostics_github if github else diagnostics_text
    click.echo(render(diagnostics), err=not github)
    count = sum(1 for d in diagnostics if d.severity == "error")
    if not github:
        click.echo(counted(count, "error"), err=True)
    sys.exit(status)


def loaded_policy(folder: Path) -> Policy:
    """The policy at `folder`; exits with its problems when it does not compile."""
    try:
        return load_policy(folder)
    except Problems as error:
        fail(error.diagnostics)


@contextmanager
def policy_given(
    policy_path: str | None, with_corpus: bool = False, status: int = EXIT_INVALID, github: bool = False
) -> Iterator[NamedPolicy]:
    """The policy `--policy` names (a git revision is read for as long as the command
    runs, and removed after it, on error too); exits with `status` when it names none."""
    with ExitStack() as stack:
        try:
            named = stack.enter_context(named_policy(policy_path, with_corpus))
        except Problems as error:
            fail(error.diagnostics, status, github)
        yield named


def listed_folders(paths: Sequence[Path]) -> str:
    return ", ".join(shown_folder(path) for path in paths)


def version_label(pinned: Pinned) -> str:
    """How a summary line names the version a corpus ran against: its folder, and for a
    released version its number first (`version 1.0 (policy/releases/1.0/)`)."""
    folder = shown_folder(pinned.folder)
    return f"version {pinned.policy.version} ({folder})" if pinned.released else folder


def policy_option(command: F) -> F:
    return click.option(
        "--policy",
        "policy_path",
        metavar="PATH|REV",
        default=None,
        help="Policy file or folder, or a git revision (`main`, `HEAD~1`, a commit): the checkout's `policy/` "
        "as it stood there; a folder that exists wins over a revision of its name "
        "(default: `policy/` of the checkout you are in, else the bundled policy).",
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
        help="Corpus file or folder (repeatable; default: with `--policy REV`, the corpus at that revision, else "
        "`corpus/` of the checkout you are in, else the bundled corpus).",
    )(command)
