"""Where the policy, the corpus and the JSON Schemas live, and how their paths are shown.

In: the working folder (or a folder given).
Out: a `Project`: the `policy/` and `corpus/` folders commands act on (`PolicyAndCorpus`:
those a command was given, the project's for the rest, looked up once). Inside a
checkout (the folder or one of its parents holds `policy/policy.yaml`) they are the
checkout's own, the files a maintainer is editing, however the package was installed.
Outside any checkout they are the copies bundled with the package
(`billability/_bundled` in a wheel, the repository's folders in an editable install).

Paths are shown relative to the working folder; a bundled file is shown as
`bundled:policy/...`, never by where the package happens to be installed, and a file of
a folder read from a git revision into a temporary folder as git names it, `REV:path`
(`shown_as`), never by the temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # src/billability, above this stage
_SOURCE_TREE = _PACKAGE.parent.parent
BUNDLED_LABEL = "bundled"

# Folders whose files are shown under a label while a command reads them (`shown_as`).
_LABELLED: list[tuple[Path, str]] = []


def _bundled(name: str) -> Path:
    inside = _PACKAGE / "_bundled" / name
    if inside.is_dir():
        return inside
    return _SOURCE_TREE / name


def policy_dir() -> Path:
    """The folder of the policy bundled with the package."""
    return _bundled("policy")


def schema_dir() -> Path:
    """The folder of the JSON Schemas for policy and corpus files."""
    return _bundled("schema")


def corpus_dir() -> Path:
    """The scenario corpus bundled with the package, which pins the bundled policy."""
    return _bundled("corpus")


@dataclass(frozen=True, slots=True)
class Project:
    """The policy and corpus a command acts on; `root` is the checkout, None when bundled."""

    policy: Path
    corpus: Path
    root: Path | None

    @property
    def bundled(self) -> bool:
        return self.root is None


def find_checkout(start: Path | None = None) -> Path | None:
    """The nearest folder, `start` or one of its parents, that holds `policy/policy.yaml`."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "policy" / "policy.yaml").is_file():
            return folder
    return None


def project(start: Path | None = None) -> Project:
    """The checkout's policy and corpus, or the bundled ones outside any checkout."""
    root = find_checkout(start)
    if root is None:
        return Project(policy_dir(), corpus_dir(), None)
    return Project(root / "policy", root / "corpus", root)


@dataclass(frozen=True, slots=True)
class PolicyAndCorpus:
    """The policy and the corpus folders (or files) one command acts on."""

    policy: Path
    corpus: tuple[Path, ...]


def policy_folder(policy: str | Path | None = None) -> Path:
    """The policy a command acts on when it reads no corpus: the one given (`--policy`),
    else the checkout's, else the bundled one; the checkout is looked for only when no
    policy is given."""
    return Path(policy) if policy is not None else project().policy


def policy_and_corpus(policy: str | Path | None = None, corpus: Sequence[str | Path] = ()) -> PolicyAndCorpus:
    """The policy and corpus a command acts on: those given (`--policy`, `--corpus`), else
    the checkout's, else the bundled ones. The checkout is looked for once per command,
    and only when the policy or the corpus is not given."""
    given = tuple(Path(path) for path in corpus)
    if policy is not None and given:
        return PolicyAndCorpus(Path(policy), given)
    found = project()
    return PolicyAndCorpus(Path(policy) if policy is not None else found.policy, given or (found.corpus,))


def corpus_beside(policy: Path) -> Path | None:
    """The corpus that pins a policy: the `corpus/` beside a checkout's `policy/` folder,
    if there is one (a loose policy folder such as `old-policy/` has none)."""
    resolved = policy.resolve()
    if resolved.name != "policy" or find_checkout(resolved.parent) != resolved.parent:
        return None
    corpus = policy.parent / "corpus"
    return corpus if corpus.is_dir() else None


@contextmanager
def shown_as(root: Path, label: str) -> Iterator[None]:
    """While inside, every file under `root` is shown as `label:path` (`path` relative to
    `root`), and `real_path` reads such a name back from `root`: a revision's folders
    read into a temporary folder are shown as git names them, `HEAD~1:policy/rules.yaml`."""
    entry = (root.resolve(), label)
    _LABELLED.append(entry)
    try:
        yield
    finally:
        _LABELLED.remove(entry)


def _labelled_roots() -> list[tuple[Path, str]]:
    """The folders shown under a label, with their labels: those of `shown_as`, then the
    package's own copies."""
    roots = list(reversed(_LABELLED))
    inside = _PACKAGE / "_bundled"
    if inside.is_dir():
        roots.append((inside.resolve(), BUNDLED_LABEL))
    return roots


def shown_path(path: str | Path) -> str:
    """A path as messages show it: relative to the working folder, `bundled:...` for the
    package's own copies, `REV:...` for a revision's files (`shown_as`), and as given
    otherwise."""
    path = Path(path)
    resolved = path.resolve()
    for root, label in _labelled_roots():
        if resolved == root or root in resolved.parents:
            return f"{label}:{resolved.relative_to(root).as_posix()}"
    here = Path.cwd().resolve()
    if resolved == here:
        return "."
    if here in resolved.parents:
        return resolved.relative_to(here).as_posix()
    checkout = find_checkout(here)
    if checkout is not None and (resolved == checkout or checkout in resolved.parents):
        return Path(os.path.relpath(resolved, here)).as_posix()
    return str(path)


def real_path(shown: str) -> Path:
    """The file a name made by `shown_path` stands for (its inverse, in the same working folder)."""
    for root, label in _labelled_roots():
        if shown.startswith(f"{label}:"):
            return root / shown.removeprefix(f"{label}:")
    return Path(shown)


def shown_folder(path: str | Path) -> str:
    """A folder as summary lines name it, with a trailing slash (`policy/`)."""
    text = shown_path(path)
    if Path(path).is_dir() and not text.endswith("/"):
        text += "/"
    return text
