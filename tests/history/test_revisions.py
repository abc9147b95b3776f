"""Reading one side of a diff: the working tree, a folder or a git revision, each with
its own corpus; files at a revision named `REV:path`, never by a temporary folder."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from billability.history.revisions import WORKING_TREE, Side, read_side, read_sides, relocated
from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.policy import Outcome
from policy_texts import CLINIC, git


def edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def file_names(side: Side) -> set[str]:
    names = {rule.location.file for rule in side.policy.rules if rule.location}
    names |= {case.location.file for case in side.cases}
    return names | set(side.policy.files)


def test_the_working_tree_is_the_checkout_on_disk(repository: Path) -> None:
    edit(repository, "policy/rules/connection.yaml", "more_than: 14", "more_than: 21")
    side = read_side(None)
    assert side.label == WORKING_TREE
    assert side.corpus == "corpus/"
    assert (
        side.policy.rule("handoff-window").when
        == read_side(str(repository / "policy")).policy.rule("handoff-window").when
    )
    assert side.policy.rule("handoff-window").when != read_side("HEAD").policy.rule("handoff-window").when
    assert {name.split("/")[0] for name in file_names(side)} == {"policy", "corpus"}


def test_a_revision_is_read_with_its_own_corpus(repository: Path) -> None:
    edit(repository, "corpus/cases.yaml", "  - name: Driving a client is not billable\n", "  - name: Driving\n")
    side = read_side("HEAD")
    assert (side.label, side.corpus, side.problems) == ("HEAD", "HEAD:corpus/", ())
    assert "Driving a client is not billable" in {case.name for case in side.cases}
    assert all(name.startswith(("HEAD:policy/", "HEAD:corpus/")) for name in file_names(side))


def test_a_revision_with_other_corpus_files_runs_those(repository: Path) -> None:
    side = read_side("HEAD", corpus=[Path("corpus/cases.yaml")])
    assert side.corpus == "corpus/cases.yaml"
    assert {case.location.file for case in side.cases} == {"corpus/cases.yaml"}


@pytest.mark.parametrize(
    ("spec", "corpus"),
    [("policy", "corpus/"), (".", "corpus/"), ("loose", None)],
    ids=["a checkout's policy folder", "a checkout", "a loose policy folder"],
)
def test_a_folder_has_a_corpus_only_inside_a_checkout(repository: Path, spec: str, corpus: str | None) -> None:
    shutil.copytree(repository / "policy", repository / "loose")
    side = read_side(spec)
    assert (side.label, side.corpus) == (spec, corpus)
    assert bool(side.cases) is (corpus is not None)


def test_a_corpus_that_does_not_load_keeps_the_cases_that_do(repository: Path) -> None:
    text = (repository / "corpus" / "cases.yaml").read_text(encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "activity: driving}" in row)
    edit(repository, "corpus/cases.yaml", "activity: driving}", "activity: drivng}")
    (repository / "corpus" / "more.yaml").write_text(
        "cases:\n  - name: Benefits again\n    facts: {provider_credential: counselor, activity: benefits}\n"
        "    expect: {outcome: billable, rules: [benefits]}\n",
        encoding="utf-8",
    )
    side = read_side(None)
    assert [
        (d.code, d.location.file if d.location else None, d.location.line if d.location else 0) for d in side.problems
    ] == [("scenario.unknown-value", "corpus/cases.yaml", line)]
    assert [case.name for case in side.cases] == ["Benefits again"]


@pytest.mark.parametrize(
    ("spec", "folder", "code"),
    [
        ("no-such-branch", None, "diff.unknown-policy"),
        ("HEAD", "elsewhere", "diff.no-policy-at-revision"),
    ],
)
def test_unreadable_sides_are_reported(repository: Path, spec: str, folder: str | None, code: str) -> None:
    with pytest.raises(Problems) as raised:
        read_side(spec, folder)
    assert [(d.code, d.location) for d in raised.value.diagnostics] == [(code, Location(spec))]


def test_a_revision_outside_any_repository_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Problems) as raised:
        read_side("HEAD")
    assert [d.code for d in raised.value.diagnostics] == ["diff.unknown-policy"]


def test_both_sides_problems_are_reported_at_once(repository: Path) -> None:
    with pytest.raises(Problems) as raised:
        read_sides("no-such-branch", "no-such-tag")
    assert [str(d.location) for d in raised.value.diagnostics] == ["no-such-branch", "no-such-tag"]


def test_a_broken_policy_at_a_revision_is_located_in_that_revision(repository: Path) -> None:
    edit(repository, "policy/rules/communication.yaml", "id: provider-call-video", "id: provider-call")
    git(repository, "commit", "-q", "-am", "duplicate id")
    text = (repository / "policy" / "rules" / "communication.yaml").read_text(encoding="utf-8").splitlines()
    lines = [n for n, row in enumerate(text, start=1) if row.strip() == "- id: provider-call"]
    with pytest.raises(Problems) as raised:
        read_side("HEAD")
    (problem,) = raised.value.diagnostics
    assert problem.code == "policy.duplicate-rule-id"
    assert problem.location is not None
    assert (problem.location.file, problem.location.line) == ("HEAD:policy/rules/communication.yaml", lines[1])
    assert f"HEAD:policy/rules/communication.yaml:{lines[0]}:" in problem.message
    assert tempfile.gettempdir() not in problem.render()


def test_a_checkout_in_a_repository_subfolder_is_read_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(CLINIC, tmp_path / "rules-repo" / "clinic")
    git(tmp_path / "rules-repo", "init", "-q")
    git(tmp_path / "rules-repo", "add", ".")
    git(tmp_path / "rules-repo", "commit", "-q", "-m", "clinic")
    monkeypatch.chdir(tmp_path / "rules-repo" / "clinic" / "corpus")
    side = read_side("HEAD")
    assert side.corpus == "HEAD:clinic/corpus/"
    assert {name.split("/")[0] for name in file_names(side)} == {"HEAD:clinic"}


def test_relocated_renames_files_in_locations_and_messages_and_keeps_enums() -> None:
    problem = Diagnostic("x.y", "first at /scratch/abc/policy/a.yaml:3:5", Location("/scratch/abc/policy/b.yaml", 7, 9))
    moved = relocated((problem, Outcome.BILLABLE), {"/scratch/abc/"}, "main:")
    assert moved == (
        Diagnostic("x.y", "first at main:policy/a.yaml:3:5", Location("main:policy/b.yaml", 7, 9)),
        Outcome.BILLABLE,
    )
    assert type(moved[1]) is Outcome
