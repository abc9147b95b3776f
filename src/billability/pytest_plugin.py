"""Corpus cases as pytest items, so a failing case is reported with its file and line.

In: the YAML files pytest finds under a `corpus` folder (enable with `-p billability.pytest_plugin`).
Out: one test item per case, named by the case's sentence and decided as `billability
test` decides it (a case with a service date by the version in force that day); a file
with problems becomes one failing item that lists every diagnostic; and, when a
checkout's whole `corpus/` folder (or a released version's, `corpus/releases/VERSION/`)
is collected, one item of the folder itself (`corpus::the corpus as a whole ...`) for
what `billability test` checks beyond each case: every statement of the source cited,
every case's `source` a whole statement, every rule deciding a case.
Its failures are located where they are: a statement no case cites in the source text,
a rule in its policy file. It belongs to no corpus file, since a case removed from one
file can leave a statement uncited that no other file is about.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from billability.checks.corpus import Case, corpus_findings, load_cases, load_file, run_case, run_cases
from billability.checks.every_version import release_versions
from billability.model.diagnostics import Problems, counted
from billability.model.resources import project, shown_folder
from billability.policy.source import RELEASES, iter_yaml_files
from billability.policy.versions import PolicyVersions, load_versions


@cache
def _versions_for(folder: Path) -> PolicyVersions:
    """The versions of the policy of the checkout a corpus file belongs to (the bundled
    one outside any checkout); for a released version's corpus
    (`corpus/releases/VERSION/`), that version's policy (`policy/releases/VERSION/`)
    and the released versions before it."""
    found = project(folder)
    version = _release_of(folder, found.corpus)
    return load_versions(found.policy) if version is None else release_versions(found.policy, version)


def _release_of(folder: Path, corpus: Path) -> str | None:
    """The released version whose corpus (`corpus/releases/VERSION/`) holds `folder`, if any."""
    releases = (corpus / RELEASES).resolve()
    resolved = folder.resolve()
    return resolved.relative_to(releases).parts[0] if releases in resolved.parents else None


class CaseFailed(Exception):
    """A case whose decision differs from what it expects."""


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in {".yaml", ".yml"} and "corpus" in file_path.parts:
        return CorpusFile.from_parent(parent, path=file_path)
    return None


def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A checkout's `corpus/` folder, and each released version's corpus in it, collects
    its files and the check of the whole corpus."""
    checkout = project(path)
    if checkout.root is None:
        return None
    resolved = path.resolve()
    if resolved in (checkout.corpus.resolve(), *(folder.resolve() for folder in _release_corpora(checkout.corpus))):
        return CorpusFolder.from_parent(parent, path=path)
    return None


def _release_corpora(corpus: Path) -> list[Path]:
    releases = corpus / RELEASES
    return sorted(folder for folder in releases.iterdir() if folder.is_dir()) if releases.is_dir() else []


class CorpusFolder(pytest.Directory):
    """What pytest's own folder collector (`pytest.Dir`, which cannot be extended) collects,
    then the check of the whole corpus."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        hooks, config = self.ihook, self.config
        for entry in sorted(self.path.iterdir()):
            if not self.session.isinitpath(entry, with_parents=entry.is_dir()) and hooks.pytest_ignore_collect(
                collection_path=entry, config=config
            ):
                continue
            if entry.is_dir():
                folder = hooks.pytest_collect_directory(path=entry, parent=self)
                if folder is not None:
                    yield folder
            elif entry.is_file():
                yield from hooks.pytest_collect_file(file_path=entry, parent=self)
        if any(iter_yaml_files(self.path)):
            yield WholeCorpusItem.from_parent(self, name=WHOLE_CORPUS, corpus=self.path)


class CorpusFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            cases = load_file(self.path, _versions_for(self.path.parent))
        except Problems as error:
            yield InvalidCorpusFile.from_parent(self, name="corpus file is valid", problems=error)
            return
        for case in cases:
            yield CaseItem.from_parent(self, name=case.name, case=case)


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        result = run_case(_versions_for(self.path.parent), self.case)
        if not result.passed:
            raise CaseFailed("\n".join(result.differences))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return f"{self.case.location}: {self.case.name}\n    " + str(excinfo.value).replace("\n", "\n    ")
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, max(self.case.location.line - 1, 0), f"case: {self.case.name}"


WHOLE_CORPUS = "the corpus as a whole cites every statement of the source and pins every rule"


class WholeCorpusItem(pytest.Item):
    def __init__(self, *, corpus: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.corpus = corpus

    def runtest(self) -> None:
        versions = _versions_for(self.corpus)
        try:
            cases = load_cases([self.corpus], versions)
        except Problems:
            # The files that do not load fail as items of their own; without all the
            # cases, the corpus as a whole cannot be judged.
            pytest.skip("some corpus files do not load, so the corpus as a whole is not judged")
        findings = corpus_findings(versions.current, run_cases(versions, cases))
        if findings:
            raise Problems(findings)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, Problems):
            count = len(excinfo.value.diagnostics)
            return (
                f"the corpus as a whole ({shown_folder(self.corpus)}): {counted(count, 'problem')}, "
                f"each located where it is\n{excinfo.value}"
            )
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.corpus, 0, "the corpus as a whole"


class InvalidCorpusFile(pytest.Item):
    def __init__(self, *, problems: Problems, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problems = problems

    def runtest(self) -> None:
        raise self.problems

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(self.problems)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"corpus file: {self.path.name}"
