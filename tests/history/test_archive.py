"""The policy a command's `--policy` names: a file or folder on disk, else the checkout's
policy folder at a git revision, read into a temporary folder that is gone after the
command (on error too), its files named `REV:path` while it is read; a name that is
neither is one `file.not-found` problem, located nowhere, whose hint says why."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from billability.history.archive import NamedPolicy, named_policy
from billability.model.diagnostics import Problems
from billability.model.resources import real_path, shown_folder, shown_path
from billability.policy.compile import load_policy
from history_repos import WINDOW_21, apply, commit
from policy_texts import git


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where temporary folders are made during the test, to see that none is left."""
    folder = tmp_path / "temporary"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def window(policy: Path) -> object:
    return load_policy(policy).rule("handoff-window").when


def test_nothing_given_is_the_default(repository: Path) -> None:
    with named_policy(None) as named:
        assert named == NamedPolicy(None, ())


def test_a_revision_is_its_policy_and_corpus_named_as_git_names_them(repository: Path, temporary: Path) -> None:
    apply(repository, *WINDOW_21)
    commit(repository, "window of 21 days")
    with named_policy("HEAD~1", with_corpus=True) as named:
        assert named.policy is not None and named.policy.is_relative_to(temporary)
        assert [shown_folder(named.policy), *map(shown_folder, named.corpus)] == ["HEAD~1:policy/", "HEAD~1:corpus/"]
        rules = named.policy / "rules" / "connection.yaml"
        assert shown_path(rules) == "HEAD~1:policy/rules/connection.yaml"
        assert real_path("HEAD~1:policy/rules/connection.yaml") == rules.resolve()
        assert window(named.policy) != window(repository / "policy")
        assert {f.split("/")[0] for f in load_policy(named.policy).files} == {"HEAD~1:policy"}
    assert list(temporary.iterdir()) == []
    assert shown_path(rules) != "HEAD~1:policy/rules/connection.yaml"


def test_the_corpus_is_read_only_when_asked(repository: Path) -> None:
    with named_policy("HEAD") as named:
        assert named.corpus == ()
        assert named.policy is not None and not (named.policy.parent / "corpus").exists()


def test_the_temporary_folder_is_removed_on_error_too(repository: Path, temporary: Path) -> None:
    with pytest.raises(RuntimeError), named_policy("HEAD", with_corpus=True) as named:
        assert named.policy is not None and named.policy.is_dir()
        raise RuntimeError("stopped")
    assert list(temporary.iterdir()) == []


def test_a_folder_that_exists_wins_over_a_revision_of_its_name(repository: Path, temporary: Path) -> None:
    shutil.copytree(repository / "policy", repository / "main")
    apply(repository, *WINDOW_21)
    with named_policy("main", with_corpus=True) as named:
        assert named == NamedPolicy(Path("main"), ())
        assert window(Path("main")) != window(repository / "policy")
    assert list(temporary.iterdir()) == []


@pytest.mark.parametrize("spec", ["no-such-branch", "HEAD~5", "no-such-folder/"])
def test_a_name_that_is_neither_is_one_problem_located_nowhere(repository: Path, spec: str) -> None:
    with pytest.raises(Problems) as raised, named_policy(spec):
        pass
    (problem,) = raised.value.diagnostics
    assert (problem.code, problem.location) == ("file.not-found", None)
    assert problem.hint is not None and "neither a file or folder here nor a git revision" in problem.hint
    assert "git repository" not in problem.hint


def test_outside_a_git_repository_the_hint_says_revisions_need_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Problems) as raised, named_policy("main"):
        pass
    (problem,) = raised.value.diagnostics
    assert (problem.code, problem.location) == ("file.not-found", None)
    assert problem.hint is not None and "revisions need a git repository" in problem.hint


def test_a_revision_without_the_policy_folder_is_not_found(repository: Path) -> None:
    git(repository, "rm", "-q", "-r", "policy")
    git(repository, "commit", "-q", "-m", "no policy")
    with pytest.raises(Problems) as raised, named_policy("HEAD"):
        pass
    assert [(d.code, d.location) for d in raised.value.diagnostics] == [("file.not-found", None)]
