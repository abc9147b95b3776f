"""A side of a comparison named by a version of the policy: a released version with the
corpus as it stood for it, or the current version's number for the working tree; read
without git, and before a git revision of the same name."""

from __future__ import annotations

from pathlib import Path

import pytest

from billability.history.diff import diff_sides
from billability.history.revisions import read_side, read_sides
from billability.model.diagnostics import Problems
from billability.model.policy import Outcome
from versioned_checkouts import DATED_BEFORE, VIDEO_CALL, versioned_copy


@pytest.fixture
def versioned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = versioned_copy(tmp_path / "versioned")
    monkeypatch.chdir(root)
    return root


def test_a_released_version_is_read_with_its_own_corpus(versioned: Path) -> None:
    side = read_side("1.0")
    assert (side.label, side.policy.version, side.corpus, side.problems) == (
        "version 1.0",
        "1.0",
        "corpus/releases/1.0/",
        (),
    )
    assert side.policy.evaluate(VIDEO_CALL).outcome is Outcome.NEEDS_REVIEW
    assert {case.location.file for case in side.cases} == {"corpus/releases/1.0/cases.yaml"}
    assert all(name.startswith("policy/releases/1.0/") for name in side.policy.files)


def test_the_current_version_s_number_is_the_working_tree(versioned: Path) -> None:
    side = read_side("2.0")
    assert (side.label, side.policy.version, side.corpus) == ("version 2.0", "2.0", "corpus/")
    assert side.policy.evaluate(VIDEO_CALL).outcome is Outcome.BILLABLE
    # Its dated cases load, each decided by the version in force on its date.
    dated = {case.name: case.version for case in side.cases if case.on}
    assert dated[DATED_BEFORE] == "1.0"


def test_versions_compare_as_revisions_do(versioned: Path) -> None:
    result = diff_sides(*read_sides("1.0", "2.0"))
    assert result.outcomes_change and result.corpus_loads
    ((before, after),) = {(change.before, change.after) for change in result.outcome_changes}
    assert (before, after) == (Outcome.NEEDS_REVIEW, Outcome.BILLABLE)
    # HEAD's cases dated under 1.0 are not HEAD's to decide: none fails, and they are not run.
    assert result.failing_cases == () and result.cases_run == 16


def test_a_folder_of_the_version_s_name_is_the_folder(versioned: Path) -> None:
    (versioned / "1.0").mkdir()
    with pytest.raises(Problems) as raised:
        read_side("1.0")
    assert raised.value.diagnostics[0].location is not None
    assert raised.value.diagnostics[0].location.file.startswith("1.0")
