"""Read one side of a comparison: a policy and its corpus, from the working tree, a
folder, a version of the policy or a git revision.

In: what the user named: nothing (the checkout as it is on disk, edits not yet
committed included), a folder, a version (`1.0`: a released version, or the current
version's number for the working tree), or a git revision; the policy folder inside
the repository; corpus paths that replace the side's own corpus. A name is a folder
when one exists, else a version when the working tree has one of that number, else a
git revision: a released version wins over a git revision of the same name.
Out: a `Side`: the compiled policy, the corpus cases that load against it, and
located diagnostics for those that do not. A policy that does not compile raises
`Problems`.

Which corpus belongs to a side: the `corpus/` next to its policy folder. For the
working tree that is the checkout's `corpus/`; for a released version, the corpus as
it stood for it (`corpus/releases/VERSION/`); for a revision, `corpus/` at that
revision; for a folder, the `corpus/` beside it when the folder is a checkout's
`policy/` (a loose policy folder such as `old-policy/` has no corpus).

A revision is read from `git archive` into a temporary folder (`archive`); every name that
points there (locations, and file names quoted inside messages) is rewritten to
`REV:path`, as git itself names a file at a revision, so that no output shows the
temporary folder.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from billability.checks.corpus import Case, Deciders, corpus_files, load_cases, load_file
from billability.checks.every_version import release_versions
from billability.history.archive import checkout_folder, commit_of, extracted, holds, repository_top
from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.resources import corpus_beside, project, shown_folder, shown_path
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from billability.policy.source import RELEASES
from billability.policy.versions import PolicyVersions, load_versions, release_folders

WORKING_TREE = "working tree"


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison. `corpus` names the corpus read, as shown (None: the
    side has none); `problems` say why some of its files do not load."""

    label: str
    policy: Policy
    corpus: str | None
    cases: tuple[Case, ...]
    problems: tuple[Diagnostic, ...]


def read_sides(
    base: str, head: str | None, folder: str | None = None, corpus: Sequence[Path] = ()
) -> tuple[Side, Side]:
    """BASE and HEAD (None: the working tree); `corpus` replaces HEAD's own corpus.
    The policy problems of both sides are raised together."""
    sides: list[Side] = []
    problems: list[Diagnostic] = []
    for spec, paths in ((base, ()), (head, corpus)):
        try:
            sides.append(read_side(spec, folder, paths))
        except Problems as error:
            problems.extend(error.diagnostics)
    if problems:
        raise Problems(problems)
    return sides[0], sides[1]


def read_side(spec: str | None, folder: str | None = None, corpus: Sequence[Path] = ()) -> Side:
    """The policy and corpus of the working tree (`spec` None), of the folder `spec`,
    or of the git revision `spec` (its policy folder `folder`, default: the
    checkout's, else `policy`)."""
    if spec is None:
        return _working_tree(folder, corpus)
    if Path(spec).exists():
        return _folder(spec, corpus)
    version = _version(spec, folder, corpus)
    if version is not None:
        return version
    return _revision(spec, folder, corpus)


# --- on disk -------------------------------------------------------------------------------


def _working_tree(folder: str | None, corpus: Sequence[Path]) -> Side:
    policy_folder, label = _working_folder(folder)
    return _side(label, policy_folder, corpus or _own_corpus(policy_folder))


def _working_folder(folder: str | None) -> tuple[Path, str]:
    """The working tree's policy folder, and how a side read from it is labelled."""
    if folder is not None:
        top = repository_top() or Path.cwd()
        return top / folder, WORKING_TREE
    here = project()
    return here.policy, shown_folder(here.policy) if here.bundled else WORKING_TREE


def _version(spec: str, folder: str | None, corpus: Sequence[Path]) -> Side | None:
    """The version numbered `spec` of the working tree's policy: a released version, with
    the corpus as it stood for it, or the current version (the working tree); None when
    the policy has no version of that number."""
    policy_folder, _ = _working_folder(folder)
    release = policy_folder / RELEASES / spec
    if release in release_folders(policy_folder):
        versions = release_versions(policy_folder, spec)
        own = corpus_beside(policy_folder)
        frozen = own / RELEASES / spec if own is not None else None
        paths = corpus or ((frozen,) if frozen is not None and frozen.is_dir() else ())
        return _side(f"version {spec}", release, paths, versions)
    try:
        current = load_policy(policy_folder)
    except Problems:
        return None
    if current.version != spec:
        return None
    return _side(f"version {spec}", policy_folder, corpus or _own_corpus(policy_folder))


def _folder(spec: str, corpus: Sequence[Path]) -> Side:
    path = Path(spec)
    if (path / "policy" / "policy.yaml").is_file():
        path = path / "policy"  # a checkout: its policy/ and corpus/
    return _side(spec, path, corpus or _own_corpus(path))


def _own_corpus(policy_folder: Path) -> tuple[Path, ...]:
    corpus = corpus_beside(policy_folder)
    return (corpus,) if corpus is not None else ()


def _side(label: str, policy_folder: Path, corpus: Sequence[Path], versions: PolicyVersions | None = None) -> Side:
    """The side whose policy is at `policy_folder` (the last of `versions`, when given:
    else the folder's current version, with its released versions before it)."""
    if versions is None:
        versions = load_versions(policy_folder)
    cases, problems = _cases(corpus, versions)
    shown = ", ".join(shown_folder(path) for path in corpus) or None
    return Side(label, versions.current, shown, cases, problems)


def _cases(roots: Sequence[Path], policy: Deciders) -> tuple[tuple[Case, ...], tuple[Diagnostic, ...]]:
    """Every case that loads, and the diagnostics of the files and cases that do not."""
    if not roots:
        return (), ()
    try:
        return tuple(load_cases(roots, policy)), ()
    except Problems as error:
        problems = error.diagnostics
    # Run what does load, so that one broken file does not hide the others' results.
    cases: list[Case] = []
    for file in corpus_files([root for root in roots if root.exists()]):
        try:
            cases.extend(load_file(file, policy))
        except Problems:
            continue
    return tuple(cases), problems


# --- at a git revision -----------------------------------------------------------------------


def _revision(spec: str, folder: str | None, corpus: Sequence[Path]) -> Side:
    commit = commit_of(spec)
    top = repository_top()
    if commit is None or top is None:
        raise Problems(
            [
                Diagnostic(
                    "diff.unknown-policy",
                    f"`{spec}` is not a policy file or folder, a version of the policy or a git revision",
                    Location(spec),
                    hint="give a folder such as `policy/`, a released version such as `1.0`, or a revision such "
                    "as `origin/main` or `HEAD`",
                )
            ]
        )
    policy_folder = folder if folder is not None else checkout_folder(top)
    corpus_folder = posixpath.join(posixpath.dirname(policy_folder), "corpus")
    if not holds(top, commit, policy_folder):
        raise Problems(
            [
                Diagnostic(
                    "diff.no-policy-at-revision",
                    f"revision `{spec}` has no folder `{policy_folder}`",
                    Location(spec),
                    hint="name the policy folder with `--folder`",
                )
            ]
        )
    folders = [policy_folder] + ([corpus_folder] if not corpus and holds(top, commit, corpus_folder) else [])
    with extracted(top, commit, folders, spec) as root:
        prefixes = {f"{shown_path(root)}/", f"{root}/", f"{root.resolve()}/"}
        label = f"{spec}:"
        try:
            side = _side(spec, root / policy_folder, corpus or _present(root / corpus_folder))
        except Problems as error:
            raise Problems(relocated(error.diagnostics, prefixes, label)) from None
        return relocated(side, prefixes, label)


def _present(path: Path) -> tuple[Path, ...]:
    return (path,) if path.is_dir() else ()


# --- naming files at a revision ----------------------------------------------------------------

T = TypeVar("T")


def relocated(value: T, prefixes: Sequence[str] | set[str], label: str) -> T:
    """`value` (a side, a policy, diagnostics...) with every file name that starts with
    one of `prefixes` (a temporary folder) starting with `label` instead, in locations
    and inside messages alike."""
    ordered = sorted(prefixes, key=len, reverse=True)

    def move(item: Any) -> Any:
        # `type(...) is str`: outcomes and severities are str enums, and stay enums.
        if type(item) is str:
            for prefix in ordered:
                item = item.replace(prefix, label)
            return item
        if isinstance(item, tuple):
            return tuple(move(part) for part in item)
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            changes = {f.name: move(getattr(item, f.name)) for f in dataclasses.fields(item) if f.init}
            return dataclasses.replace(item, **changes)
        return item

    return cast(T, move(value))
