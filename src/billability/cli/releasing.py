"""The command that freezes a version: `release`.

In: `--policy` and `--corpus` (the checkout's by default).
Out: the released version's folders and what they hold, or the problems that stopped the
release (nothing written).
"""

from __future__ import annotations

import click

from billability.cli.options import fail
from billability.history.release import release
from billability.model.diagnostics import Diagnostic, Problems, counted
from billability.model.resources import policy_and_corpus, project, shown_folder


@click.command("release")
@click.option(
    "--policy",
    "policy_path",
    metavar="PATH",
    default=None,
    help="The policy folder whose current version is released (default: `policy/` of the checkout you are in).",
)
@click.option(
    "--corpus",
    "corpus_path",
    metavar="PATH",
    default=None,
    help="The corpus folder that pins the policy (default: `corpus/` of the checkout you are in).",
)
def release_command(policy_path: str | None, corpus_path: str | None) -> None:
    """Freeze the current version of the policy, so that it keeps deciding the services of its days.

    Copies the policy's files to `policy/releases/VERSION/` and the corpus to
    `corpus/releases/VERSION/`, each with a SHA256SUMS file. The version and its day
    are the `version` and `effective_from` of `policy/policy.yaml`. A released version
    is never edited: `validate` and `test` fail when its files change, or when the
    policy changes without raising its version. Commit the two folders with the change.

    \b
    Examples:
      billability release
      billability release --policy my-policy/ --corpus my-corpus/

    Exit status: 0 when released (or released already, unchanged); 2 when the policy
    does not compile, its corpus fails, or the version is released with other content.
    """
    if policy_path is None and project().bundled:
        fail(
            [
                Diagnostic(
                    "release.no-checkout",
                    "no checkout here: a release is written into a clone's `policy/` and `corpus/`",
                    hint="run it inside your clone of the policy repository, or give --policy and --corpus",
                )
            ]
        )
    chosen = policy_and_corpus(policy_path, [corpus_path] if corpus_path else [])
    try:
        released = release(chosen.policy, chosen.corpus[0])
    except Problems as error:
        fail(error.diagnostics)
    if released.already:
        click.echo(f"version {released.version} is released already, unchanged: {shown_folder(released.policy)}")
        return
    click.echo(
        f"released version {released.version}, in effect from {released.effective_from}:\n"
        f"  {shown_folder(released.policy)} ({counted(released.files, 'file')})\n"
        f"  {shown_folder(released.corpus)} ({counted(released.cases, 'case')} passing)\n"
        "Commit both folders; services on and after that day are decided by this version."
    )
