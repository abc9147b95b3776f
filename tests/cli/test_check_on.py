"""`billability check --on DATE`: the version in force on the service's day decides, on the
two-version fixture and on the bundled policy with a second version made here."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest

from billability import load_versions
from command_line import run
from maintainer_changes import CHECKOUT, advocacy_by_email_needs_review

VERSIONED = Path(__file__).resolve().parent.parent / "fixtures" / "versioned"
VIDEO_CALL = ("provider_credential=counselor", "activity=provider_call", "contact_mode=video")
ADVOCACY_BY_EMAIL = (
    "provider_credential=lpha",
    "activity=advocacy",
    "contact_mode=email",
    "contact_successful=true",
)


@pytest.mark.parametrize(
    ("day", "first_line", "version"),
    [("2026-06-30", "NEEDS REVIEW", "1.0"), ("2026-07-01", "BILLABLE", "2.0")],
)
def test_the_version_in_force_on_the_day_decides(day: str, first_line: str, version: str) -> None:
    status, out, err = run("check", "--policy", str(VERSIONED / "policy"), "--on", day, *VIDEO_CALL)
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == first_line
    assert out.splitlines()[-1].startswith(f"(decided by version {version} of the policy in ")
    assert out.splitlines()[-1].endswith(f", in force on {day})")
    status, out, _ = run("check", "--policy", str(VERSIONED / "policy"), "--on", day, "--json", *VIDEO_CALL)
    assert json.loads(out)["policy"]["version"] == version


def test_without_a_day_the_current_version_decides_as_before() -> None:
    status, out, _ = run("check", "--policy", str(VERSIONED / "policy"), *VIDEO_CALL)
    assert status == 0 and out.splitlines()[0] == "BILLABLE"
    assert out.splitlines()[-1].startswith("(decided by the policy in ")


@pytest.mark.parametrize(
    ("day", "code"),
    [("2025-12-31", "version.before-first")],
)
def test_a_day_before_the_first_version_is_refused(day: str, code: str) -> None:
    status, out, err = run("check", "--policy", str(VERSIONED / "policy"), "--on", day, *VIDEO_CALL)
    assert (status, out) == (2, "")
    assert (
        f"error[{code}]: 2025-12-31 is before the first version of the policy (1.0, in effect from 2026-01-01)" in err
    )


def test_a_day_that_is_no_date_is_refused() -> None:
    status, out, err = run("check", "--policy", str(VERSIONED / "policy"), "--on", "12/15/2026", *VIDEO_CALL)
    assert (status, out) == (2, "")
    assert "Invalid value for '--on'" in err


def test_an_upcoming_current_version_says_when_it_takes_effect(tmp_path: Path) -> None:
    shutil.copytree(VERSIONED, tmp_path / "clinic")
    policy = tmp_path / "clinic" / "policy" / "policy.yaml"
    later = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    policy.write_text(policy.read_text(encoding="utf-8").replace("2026-07-01", later), encoding="utf-8")
    status, out, _ = run("check", "--policy", str(tmp_path / "clinic" / "policy"), *VIDEO_CALL)
    assert status == 0
    assert out.splitlines()[-1] == (
        f"(version 2.0 takes effect on {later}: for a service before then, give its date with --on YYYY-MM-DD)"
    )


def test_the_bundled_policy_with_a_second_version_decides_by_the_day(tmp_path: Path) -> None:
    """Version 1.0 is released with the package; a maintainer's change makes 1.1, in force
    from the first of the next month, and a service is decided by the version of its day."""
    for folder in ("policy", "corpus"):
        shutil.copytree(CHECKOUT / folder, tmp_path / folder)
    advocacy_by_email_needs_review(tmp_path)
    versions = load_versions(tmp_path / "policy")
    old, new = versions.versions[-2].version, versions.current.version
    switch = versions.current.effective_from
    before = (datetime.date.fromisoformat(switch) - datetime.timedelta(days=1)).isoformat()
    outcomes = {}
    for day in (before, switch):
        status, out, _ = run("check", "--policy", str(tmp_path / "policy"), "--on", day, *ADVOCACY_BY_EMAIL)
        assert status == 0
        outcomes[day] = (out.splitlines()[0], out.splitlines()[-1].split(" of the policy")[0])
    assert outcomes == {
        before: ("NOT BILLABLE", f"(decided by version {old}"),
        switch: ("NEEDS REVIEW", f"(decided by version {new}"),
    }


@pytest.mark.parametrize(
    ("day", "version", "video"), [("2026-06-30", "1.0", "needs_review"), ("2026-07-01", "2.0", "billable")]
)
def test_the_decision_table_of_the_version_in_force(day: str, version: str, video: str) -> None:
    status, out, err = run("table", "--format", "json", "--on", day, "--policy", str(VERSIONED / "policy"))
    assert status == 0
    assert f" regions of version {version} of " in err
    table = json.loads(out)
    video_calls = [
        region
        for region in table["regions"]
        if "provider_call" in region["when"].get("activity", ["provider_call"])
        and "video" in region["when"].get("contact_mode", ["video"])
        and "counselor" in region["when"].get("provider_credential", ["counselor"])
    ]
    assert video_calls and {region["outcome"] for region in video_calls} == {video}
