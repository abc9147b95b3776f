"""Corpus cases as pytest items, so a failing case is reported with its file and line.

In: the YAML files pytest finds under a `corpus` folder (enable with `-p billability.pytest_plugin`).
Out: one test item per case, named by the case's sentence; a file with problems
becomes one failing item that lists every diagnostic; and, with the first file of a
checkout's corpus, one item for the corpus as a whole (every statement of the source
cited, every rule deciding a case: what `billability test` checks beyond each case).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from billability.compile import load_policy
from billability.corpus import Case, corpus_findings, load_cases, load_file, run_case, run_cases
from billability.diagnostics import Problems
from billability.model import Policy
from billability.resources import project
from billability.source import iter_yaml_files


@cache
def _policy_for(folder: Path) -> Policy:
    """The policy of the checkout a corpus file belongs to (the bundled one outside any checkout)."""
    return load_policy(project(folder).policy)


class CaseFailed(Exception):
    """A case whose decision differs from what it expects."""


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in {".yaml", ".yml"} and "corpus" in file_path.parts:
        return CorpusFile.from_parent(parent, path=file_path)
    return None


class CorpusFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            cases = load_file(self.path, _policy_for(self.path.parent))
        except Problems as error:
            yield InvalidCorpusFile.from_parent(self, name="corpus file is valid", problems=error)
            return
        for case in cases:
            yield CaseItem.from_parent(self, name=case.name, case=case)
        checkout = project(self.path.parent)
        files = list(iter_yaml_files(checkout.corpus)) if checkout.corpus.is_dir() else []
        if files and files[0].resolve() == self.path.resolve():
            yield WholeCorpusItem.from_parent(self, name=WHOLE_CORPUS, corpus=checkout.corpus)


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        result = run_case(_policy_for(self.path.parent), self.case)
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
        policy = _policy_for(self.corpus)
        findings = corpus_findings(policy, run_cases(policy, load_cases([self.corpus], policy)))
        if findings:
            raise Problems(findings)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, Problems):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "the corpus as a whole"


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
