"""Folders of the repository as they stood at a git revision, and the policy a command's
`--policy` names.

In: a revision's name (`main`, `HEAD~1`, `origin/main`, a commit) and the folders wanted
from it; or what a command was given as `--policy` (nothing, a file or folder, or a
revision).
Out: a temporary folder holding those folders, read with `git archive` and removed on
leaving (`extracted`); and a `NamedPolicy`: the policy file or folder to read and,
from a revision, the corpus beside it (`named_policy`). While a command reads a
revision's folders, their files are shown as git names them, `REV:policy/...`, never by
the temporary folder.

A file or folder that exists wins over a revision of the same name. A revision stands
for the checkout's policy folder at that revision (`policy`, or where the checkout sits
inside its repository), as `billability diff` reads it.
"""

from __future__ import annotations

import io
import posixpath
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.resources import find_checkout, shown_as


@dataclass(frozen=True, slots=True)
class NamedPolicy:
    """The policy a command reads: `policy` is the file or folder (None: the command's
    default); `corpus` the corpus read from the same revision (empty: none was read)."""

    policy: Path | None
    corpus: tuple[Path, ...]


@contextmanager
def named_policy(spec: str | None, with_corpus: bool = False) -> Iterator[NamedPolicy]:
    """What `--policy SPEC` names: nothing, a file or folder on disk, or else the
    checkout's policy folder at the git revision SPEC (and, `with_corpus`, the corpus
    folder beside it, if the revision has one), read into a temporary folder that is
    removed on leaving, on error too. Raises `Problems` (`file.not-found`) when SPEC is
    neither a file or folder nor a revision holding the policy folder."""
    if spec is None or Path(spec).exists():
        yield NamedPolicy(Path(spec) if spec is not None else None, ())
        return
    top, commit = _revision_or_problem(spec)
    policy_folder = checkout_folder(top)
    if not holds(top, commit, policy_folder):
        raise Problems(
            [
                Diagnostic(
                    "file.not-found",
                    f"revision `{spec}` has no folder `{policy_folder}`",
                    hint=f"the policy at a revision is its `{policy_folder}` folder; "
                    "give a policy file or folder to read another",
                )
            ]
        )
    corpus_folder = posixpath.join(posixpath.dirname(policy_folder), "corpus")
    folders = [policy_folder, *([corpus_folder] if with_corpus and holds(top, commit, corpus_folder) else [])]
    with extracted(top, commit, folders, spec) as root, shown_as(root, spec):
        yield NamedPolicy(root / policy_folder, tuple(root / folder for folder in folders[1:]))


def _revision_or_problem(spec: str) -> tuple[Path, str]:
    """The repository's top and the commit SPEC names, or `Problems` saying that SPEC is
    neither a file or folder nor a revision (and why it could not be a revision)."""
    try:
        commit = commit_of(spec)
    except Problems:
        top, commit, why = None, None, "; git, which reads revisions, is not available"
    else:
        top = repository_top()
        why = "; revisions need a git repository, and the working folder is in none" if top is None else ""
    if top is None or commit is None:
        raise Problems(
            [
                Diagnostic(
                    "file.not-found",
                    f"no policy file or folder `{spec}`",
                    hint=f"`{spec}` is neither a file or folder here nor a git revision{why}",
                )
            ]
        )
    return top, commit


@contextmanager
def extracted(top: Path, commit: str, folders: Sequence[str], spec: str) -> Iterator[Path]:
    """A temporary folder holding `folders` (paths from the repository's top) as they
    stand at `commit`, removed on leaving. Each folder must exist at the commit."""
    archive = git_output(["-C", str(top), "archive", "--format=tar", commit, "--", *folders], spec)
    assert archive is not None, "git archive of folders that exist at the revision"
    with tempfile.TemporaryDirectory(prefix="billability-") as temporary:
        root = Path(temporary)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            # The `data` filter refuses links and paths that leave the folder (Python 3.11.4+;
            # the archive comes from the repository itself, so older versions extract plainly).
            if hasattr(tarfile, "data_filter"):
                tar.extractall(root, filter="data")
            else:  # pragma: no cover
                tar.extractall(root)
        yield root


def commit_of(spec: str) -> str | None:
    """The commit the revision `spec` names, None when it names none."""
    revision = git_output(["rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"], spec)
    return revision.decode().strip() if revision is not None else None


def checkout_folder(top: Path) -> str:
    """The checkout's policy folder relative to the repository's top (`policy`)."""
    checkout = find_checkout()
    if checkout is not None and (checkout == top.resolve() or top.resolve() in checkout.parents):
        return (checkout / "policy").relative_to(top.resolve()).as_posix()
    return "policy"


def holds(top: Path, commit: str, path: str) -> bool:
    """Whether the commit holds `path` (from the repository's top)."""
    return git_output(["-C", str(top), "cat-file", "-e", f"{commit}:{path}"], path) is not None


def repository_top() -> Path | None:
    """The top of the git repository the working folder is in, if any."""
    try:
        found = git_output(["rev-parse", "--show-toplevel"], ".")
    except Problems:
        return None
    return Path(found.decode().strip()).resolve() if found else None


def git_output(arguments: list[str], spec: str) -> bytes | None:
    """What git prints for `arguments`, None when it fails; `Problems` when git cannot
    be run to read `spec`."""
    try:
        done = subprocess.run(["git", *arguments], capture_output=True, check=False)
    except OSError:
        raise Problems(
            [
                Diagnostic(
                    "diff.unknown-policy",
                    f"`{spec}` is not a folder, and git is not available to read it as a revision",
                    Location(spec),
                )
            ]
        ) from None
    return done.stdout if done.returncode == 0 else None
