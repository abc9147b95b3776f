"""Release the current version of a policy: freeze it, with the corpus that pins it.

In: a policy folder (its own files are the current version) and its corpus folder.
Out: `Released`: the folders written, `policy/releases/VERSION/` and
`corpus/releases/VERSION/`, each a copy of the folder's own files (their `releases/`
left out) with a `SHA256SUMS` file that `release_problems` checks ever after; or
`Problems` saying why nothing was written: the policy does not compile, its corpus fails
(a release is what `billability test` passed), a release was edited, or the version is
released already with other content. Releasing a version a second time, unchanged,
writes nothing and says so.

Each folder is written under a temporary name beside its place and renamed when whole,
so an interrupted release leaves no half-written version behind.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from billability.checks.corpus import run_corpus
from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.resources import shown_folder
from billability.policy.source import RELEASES
from billability.policy.versions import SUMS, content_sums, file_sums, load_versions, release_problems, sums_text

_SAFE_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*\Z")


@dataclass(frozen=True, slots=True)
class Released:
    """What `release` did: the version, its day, the folders (None: released already) and file counts."""

    version: str
    effective_from: str
    policy: Path
    corpus: Path
    files: int
    cases: int
    already: bool = False


def release(policy_folder: Path, corpus_folder: Path) -> Released:
    """Write the release of the current version (see the module docstring)."""
    versions = load_versions(policy_folder)
    current = versions.current
    problems = [p for p in release_problems(policy_folder, corpus_folder) if p.code != "release.changed"]
    if not _SAFE_VERSION.match(current.version):
        problems.append(
            Diagnostic(
                "release.bad-version",
                f"version `{current.version}` cannot name a folder",
                Location(shown_folder(policy_folder)),
                hint="write the version with letters, digits, `.`, `-` and `_`, e.g. 1.1",
            )
        )
    if problems:
        raise Problems(problems)
    run = run_corpus(versions, [corpus_folder])
    if run.failed or run.findings:
        where = run.failed[0].case.location if run.failed else None
        raise Problems(
            [
                Diagnostic(
                    "release.corpus-fails",
                    f"the corpus does not pass with version {current.version}: {len(run.failed)} failed, "
                    f"{len(run.findings)} problem(s) of the corpus as a whole",
                    where,
                    hint="run `billability test` and make it pass: a release is what the corpus pins",
                )
            ]
        )
    policy_target = policy_folder / RELEASES / current.version
    corpus_target = corpus_folder / RELEASES / current.version
    released = Released(
        current.version,
        current.effective_from,
        policy_target,
        corpus_target,
        len(file_sums(policy_folder)),
        len(run.results),
    )
    if policy_target.exists():
        if content_sums(policy_target) != content_sums(policy_folder):
            raise Problems(
                [
                    Diagnostic(
                        "release.changed",
                        f"version {current.version} is released already, with other content",
                        Location(shown_folder(policy_target)),
                        hint="raise `version` in the policy (and move `effective_from`), then release again",
                    )
                ]
            )
        return dataclasses.replace(released, already=True)
    # The corpus first: the policy's release is what makes the version released.
    if corpus_target.exists() and file_sums(corpus_target) != file_sums(corpus_folder):
        shutil.rmtree(corpus_target)  # left by a release stopped before its policy was written
    written = not corpus_target.exists()
    if written:
        _write_copy(corpus_folder, corpus_target)
    try:
        _write_copy(policy_folder, policy_target)
    except BaseException:
        if written:
            shutil.rmtree(corpus_target, ignore_errors=True)
        raise
    return released


def _write_copy(folder: Path, target: Path) -> None:
    """Copy the folder's own files to `target` with their sums, whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for name in file_sums(folder):
            destination = scratch / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / name, destination)
        (scratch / SUMS).write_text(sums_text(file_sums(scratch)), encoding="utf-8")
        scratch.rename(target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
