"""The corpus's guarantees for every version of a policy: each released version checked
against the corpus as it stood for that version.

In: a policy file or folder and the corpus paths that pin its current version.
Out: `Pinned` versions, the current one first, then each released version oldest first
(the policy's `releases/VERSION/` with the corpus's `releases/VERSION/`), each with the
versions up to it, so that a case dated in an earlier version's days is decided by the
version in force on its date; `pinned_cases` loads each one's corpus, the cases the
version decides (what `mutate` and `coverage` measure it with); `run_every_version`
runs each one's corpus (`VersionRun`) and says what makes the releases untrustworthy (`release_problems`: a release edited,
the policy changed without raising its version) and which released version has no
corpus.

Released versions are checked only when the policy and every corpus path are whole
folders: a corpus file picked out pins the current version alone. A released version
whose number is the current one's is not checked twice: the current version stands for
it, and `release.changed` says when the two differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from billability.checks.corpus import Case, CorpusRun, decided_by, load_cases, run_corpus
from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.resources import shown_folder
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from billability.policy.source import RELEASES
from billability.policy.versions import (
    PolicyVersions,
    effective_date,
    load_versions,
    release_folders,
    release_problems,
)


@dataclass(frozen=True, slots=True)
class Pinned:
    """One version and the corpus that pins it. `versions` are the versions up to it (it
    is the last), `folder` holds its files, and `released` says it is a released version
    other than the current one."""

    versions: PolicyVersions
    folder: Path
    corpus: tuple[Path, ...]
    released: bool = False

    @property
    def policy(self) -> Policy:
        return self.versions.current


@dataclass(frozen=True, slots=True)
class PinnedVersions:
    """The versions to check, the current one first, and the released versions that have
    no corpus to check them with (`release.no-corpus`)."""

    pinned: tuple[Pinned, ...]
    problems: tuple[Diagnostic, ...]


def pinned_versions(policy_folder: Path, corpus: Sequence[Path]) -> PinnedVersions:
    """Every version of the policy at `policy_folder` with its corpus (see the module
    docstring); raises `Problems` when a version does not compile or the versions do not
    follow one another."""
    versions = load_versions(policy_folder)
    current = Pinned(versions, policy_folder, tuple(corpus))
    if not (policy_folder.is_dir() and corpus and all(path.is_dir() for path in corpus)):
        return PinnedVersions((current,), ())
    pinned: list[Pinned] = [current]
    problems: list[Diagnostic] = []
    for policy in versions.versions[:-1]:
        if policy.version not in versions.released:
            continue
        release = policy_folder / RELEASES / policy.version
        frozen = tuple(path / RELEASES / policy.version for path in corpus)
        found = tuple(path for path in frozen if path.is_dir())
        if not found:
            problems.append(
                Diagnostic(
                    "release.no-corpus",
                    f"released version `{policy.version}` has no corpus: there is no "
                    f"{', '.join(shown_folder(path) for path in frozen)}",
                    Location(shown_folder(release)),
                    hint="`billability release` writes the corpus beside the policy: restore the folder from the "
                    "commit that released the version",
                )
            )
            continue
        pinned.append(Pinned(versions.up_to(policy.version), release, found, released=True))
    return PinnedVersions(tuple(pinned), tuple(problems))


def release_versions(policy_folder: Path, version: str) -> PolicyVersions:
    """A released version (`releases/VERSION/`) as the last of the versions, the released
    versions that took effect before it first: the policy as it stood when it was
    current, read from the releases alone (the working copy need not compile)."""
    release = load_policy(policy_folder / RELEASES / version)
    earlier = [load_policy(folder) for folder in release_folders(policy_folder) if folder.name != version]
    before = sorted(
        (policy for policy in earlier if effective_date(policy) < effective_date(release)), key=effective_date
    )
    released = tuple(folder.name for folder in release_folders(policy_folder))
    return PolicyVersions((*before, release), policy_folder / RELEASES / version, released)


@dataclass(frozen=True, slots=True)
class PinnedCases:
    """A version and the cases of its corpus it decides (a case dated in an earlier
    version's days is that version's to decide, not this one's)."""

    pinned: Pinned
    cases: tuple[Case, ...]


def pinned_cases(policy_folder: Path, corpus: Sequence[Path]) -> tuple[tuple[PinnedCases, ...], tuple[Diagnostic, ...]]:
    """Each version with the cases it decides, the current version first, and the released
    versions with no corpus; raises `Problems` with every problem of every corpus that
    does not load."""
    found = pinned_versions(policy_folder, corpus)
    each: list[PinnedCases] = []
    problems: list[Diagnostic] = []
    for pinned in found.pinned:
        try:
            cases = load_cases(pinned.corpus, pinned.versions)
        except Problems as error:
            problems.extend(error.diagnostics)
            continue
        each.append(PinnedCases(pinned, tuple(decided_by(pinned.policy, cases))))
    if problems:
        raise Problems(problems)
    return tuple(each), found.problems


@dataclass(frozen=True, slots=True)
class VersionRun:
    """A version's corpus run against it."""

    pinned: Pinned
    run: CorpusRun

    @property
    def passed(self) -> bool:
        return not self.run.failed and not self.run.findings


@dataclass(frozen=True, slots=True)
class EveryVersionRun:
    """Each version's corpus run, the current version's first, and what makes the
    released versions untrustworthy, sorted by location."""

    runs: tuple[VersionRun, ...]
    problems: tuple[Diagnostic, ...]

    @property
    def passed(self) -> bool:
        return not self.problems and all(run.passed for run in self.runs)


def run_every_version(policy_folder: Path, corpus: Sequence[Path]) -> EveryVersionRun:
    """Run each version's corpus against it, as `billability test` does; raises `Problems`
    with every problem of every corpus that does not load, and of versions that do not
    compile."""
    found = pinned_versions(policy_folder, corpus)
    runs: list[VersionRun] = []
    problems: list[Diagnostic] = []
    for pinned in found.pinned:
        try:
            runs.append(VersionRun(pinned, run_corpus(pinned.versions, pinned.corpus)))
        except Problems as error:
            problems.extend(error.diagnostics)
    if problems:
        raise Problems(problems)
    untrusted = [*found.problems, *releases_problems(policy_folder, corpus)]
    return EveryVersionRun(tuple(runs), tuple(sorted(untrusted, key=Diagnostic.sort_key)))


def releases_problems(policy_folder: Path, corpus: Sequence[Path]) -> list[Diagnostic]:
    """`release_problems` of the policy and each corpus folder, each problem once."""
    if not policy_folder.is_dir():
        return []
    folders: list[Path | None] = [path for path in corpus if path.is_dir()] or [None]
    found = [problem for folder in folders for problem in release_problems(policy_folder, folder)]
    return sorted(dict.fromkeys(found), key=Diagnostic.sort_key)
