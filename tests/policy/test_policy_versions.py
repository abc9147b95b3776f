"""Every version of a policy and the one in force on a day (billability.policy.versions),
on the two-version fixture (tests/fixtures/versioned: 1.0 from 2026-01-01, released; 2.0
from 2026-07-01, the current one)."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from billability import ScenarioError, load_versions
from billability.history.release import release
from billability.model.diagnostics import Problems
from billability.policy.versions import release_problems

VERSIONED = Path(__file__).resolve().parent.parent / "fixtures" / "versioned"
VIDEO_CALL = {"provider_credential": "counselor", "activity": "provider_call", "contact_mode": "video"}


def test_the_versions_are_the_releases_and_the_current_one_oldest_first() -> None:
    versions = load_versions(VERSIONED / "policy")
    assert [v.version for v in versions.versions] == ["1.0", "2.0"]
    assert versions.current.version == "2.0"
    assert versions.released == ("1.0",)
    assert versions.switches() == (datetime.date(2026, 1, 1), datetime.date(2026, 7, 1))


@pytest.mark.parametrize(
    ("day", "version", "outcome"),
    [
        ("2026-01-01", "1.0", "needs_review"),  # the first version's first day
        ("2026-06-30", "1.0", "needs_review"),  # the day before the switch
        ("2026-07-01", "2.0", "billable"),  # the switch day
        ("2031-01-01", "2.0", "billable"),
    ],
)
def test_a_service_is_decided_by_the_version_in_force_on_its_day(day: str, version: str, outcome: str) -> None:
    versions = load_versions(VERSIONED / "policy")
    decision = versions.evaluate(VIDEO_CALL, on=day)
    assert (decision.policy_version, str(decision.outcome)) == (version, outcome)
    assert versions.evaluate(VIDEO_CALL, on=datetime.date.fromisoformat(day)).policy_version == version


def test_without_a_day_the_current_version_decides() -> None:
    decision = load_versions(VERSIONED / "policy").evaluate(VIDEO_CALL)
    assert (decision.policy_version, str(decision.outcome)) == ("2.0", "billable")


def test_a_day_before_the_first_version_is_an_error_not_a_guess() -> None:
    with pytest.raises(ScenarioError) as raised:
        load_versions(VERSIONED / "policy").evaluate(VIDEO_CALL, on="2025-12-31")
    assert [d.code for d in raised.value.diagnostics] == ["version.before-first"]
    assert "1.0, in effect from 2026-01-01" in raised.value.diagnostics[0].message


def test_a_day_that_is_no_date_is_an_error() -> None:
    with pytest.raises(ScenarioError) as raised:
        load_versions(VERSIONED / "policy").evaluate(VIDEO_CALL, on="2026-02-30")
    assert [d.code for d in raised.value.diagnostics] == ["version.bad-date"]


def test_upcoming_versions_are_those_after_the_day() -> None:
    versions = load_versions(VERSIONED / "policy")
    assert [v.version for v in versions.upcoming(datetime.date(2026, 6, 30))] == ["2.0"]
    assert versions.upcoming(datetime.date(2026, 7, 1)) == ()


def test_the_folder_s_own_files_leave_the_releases_out() -> None:
    """The current version does not read the released copies as rules of its own (they
    would be duplicate ids)."""
    versions = load_versions(VERSIONED / "policy")
    assert not any("releases" in file for file in versions.current.files)


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(VERSIONED, tmp_path / "versioned")
    return tmp_path / "versioned"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_released_folder_naming_another_version_is_located(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "policy" / "releases" / "1.0").rename(copy / "policy" / "releases" / "1.5")
    with pytest.raises(Problems) as raised:
        load_versions(copy / "policy")
    [problem] = raised.value.diagnostics
    assert problem.code == "release.misnamed"
    assert problem.location is not None and problem.location.file.endswith("releases/1.5/policy.yaml")
    assert problem.location.line > 0


def test_two_versions_on_one_day_and_a_current_version_older_than_a_release(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    _edit(copy / "policy" / "policy.yaml", 'effective_from: "2026-07-01"', 'effective_from: "2026-01-01"')
    with pytest.raises(Problems) as raised:
        load_versions(copy / "policy")
    assert [d.code for d in raised.value.diagnostics] == ["release.same-day"]
    _edit(copy / "policy" / "policy.yaml", 'effective_from: "2026-01-01"', 'effective_from: "2025-06-01"')
    with pytest.raises(Problems) as raised:
        load_versions(copy / "policy")
    assert [d.code for d in raised.value.diagnostics] == ["release.not-latest"]
    assert raised.value.diagnostics[0].location is not None
    assert raised.value.diagnostics[0].location.file.endswith("versioned/policy/policy.yaml")


def test_a_sound_release_has_no_problems() -> None:
    assert release_problems(VERSIONED / "policy", VERSIONED / "corpus") == []


def test_an_edited_release_is_located_at_the_edited_file(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    _edit(
        copy / "policy" / "releases" / "1.0" / "rules" / "communication.yaml",
        "outcome: needs_review",
        "outcome: billable",
    )
    (copy / "corpus" / "releases" / "1.0" / "extra.yaml").write_text("cases: []\n", encoding="utf-8")
    problems = release_problems(copy / "policy", copy / "corpus")
    assert [(d.code, Path(d.location.file).name) for d in problems if d.location] == [
        ("release.edited", "extra.yaml"),
        ("release.edited", "communication.yaml"),
    ]


def test_a_release_without_its_sums_is_a_problem(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "policy" / "releases" / "1.0" / "SHA256SUMS").unlink()
    assert [d.code for d in release_problems(copy / "policy")] == ["release.no-sums"]


def test_the_current_version_changed_without_raising_its_number(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    # Release 2.0 as it is, then edit the current files but keep saying 2.0.
    release(copy / "policy", copy / "corpus")
    assert release_problems(copy / "policy", copy / "corpus") == []
    _edit(
        copy / "policy" / "rules" / "communication.yaml", "a video call to a provider counts as a call", "video counts"
    )
    [problem] = release_problems(copy / "policy", copy / "corpus")
    assert problem.code == "release.changed"
    assert problem.location is not None and problem.location.file.endswith("versioned/policy/policy.yaml")
    assert "raise `version`" in (problem.hint or "")
    # The current files still decide for 2.0: what a maintainer sees is what they edited.
    assert load_versions(copy / "policy").current.rule("provider-call-video").reason == "video counts"


def test_a_comment_or_a_layout_change_is_no_change_of_the_version(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    release(copy / "policy", copy / "corpus")
    rules = copy / "policy" / "rules" / "communication.yaml"
    rules.write_text(
        "# The calls to providers.\n"
        + rules.read_text(encoding="utf-8").replace("outcome: billable", 'outcome: "billable"'),
        encoding="utf-8",
    )
    assert release_problems(copy / "policy", copy / "corpus") == []
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("Calling a provider", "Calling a provider by phone"), encoding="utf-8"
    )
    assert [d.code for d in release_problems(copy / "policy", copy / "corpus")] == ["release.changed"]
