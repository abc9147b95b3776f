"""`billability release` and `history.release.release`: the current version frozen with its
corpus, whole or not at all, on copies of the two-version fixture (tests/fixtures/versioned)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from billability.history.release import release
from billability.model.diagnostics import Problems
from billability.policy.versions import SUMS, load_versions, release_problems
from command_line import run

VERSIONED = Path(__file__).resolve().parent.parent / "fixtures" / "versioned"


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(VERSIONED, tmp_path / "clinic")
    monkeypatch.chdir(tmp_path / "clinic")
    return tmp_path / "clinic"


def _raise_to_3(checkout: Path) -> None:
    """Release 2.0, then make 3.0 the current version, from 2027-01-01."""
    release(checkout / "policy", checkout / "corpus")
    policy = checkout / "policy" / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    text = text.replace('version: "2.0"', 'version: "3.0"').replace(
        'effective_from: "2026-07-01"', 'effective_from: "2027-01-01"'
    )
    policy.write_text(text, encoding="utf-8")


def test_release_copies_the_policy_and_the_corpus_with_their_sums(checkout: Path) -> None:
    status, out, err = run("release")
    assert (status, err) == (0, "")
    assert out.startswith("released version 2.0, in effect from 2026-07-01:\n  policy/releases/2.0/ (6 files)\n")
    assert "  corpus/releases/2.0/ (17 cases passing)" in out
    for folder in (checkout / "policy" / "releases" / "2.0", checkout / "corpus" / "releases" / "2.0"):
        assert (folder / SUMS).is_file()
    # sha256sum itself agrees with the sums written.
    checked = subprocess.run(
        ["sha256sum", "-c", "--quiet", SUMS], cwd=checkout / "policy" / "releases" / "2.0", capture_output=True
    )
    assert checked.returncode == 0, checked.stdout
    assert release_problems(checkout / "policy", checkout / "corpus") == []
    assert load_versions(checkout / "policy").released == ("1.0", "2.0")


def test_releasing_again_unchanged_writes_nothing(checkout: Path) -> None:
    run("release")
    before = sorted(p.relative_to(checkout) for p in checkout.rglob("*"))
    assert run("release") == (0, "version 2.0 is released already, unchanged: policy/releases/2.0/\n", "")
    assert sorted(p.relative_to(checkout) for p in checkout.rglob("*")) == before


def test_a_released_version_with_other_content_is_refused(checkout: Path) -> None:
    run("release")
    rules = checkout / "policy" / "rules" / "communication.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("counts as a call", "is a call"), encoding="utf-8")
    status, out, err = run("release")
    assert (status, out) == (2, "")
    assert "error[release.changed]" in err and "raise `version`" in err


def test_a_failing_corpus_stops_the_release_and_nothing_is_written(checkout: Path) -> None:
    _raise_to_3(checkout)
    rules = checkout / "policy" / "rules" / "communication.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(
        text.replace(
            "    outcome: billable\n    when:\n      activity: provider_call\n      contact_mode: video",
            "    outcome: not_billable\n    when:\n      activity: provider_call\n      contact_mode: video",
        ),
        encoding="utf-8",
    )
    status, out, err = run("release")
    assert status == 2 and out == ""
    assert "error[release.corpus-fails]" in err and "cases.yaml:" in err
    assert not (checkout / "policy" / "releases" / "3.0").exists()
    assert not (checkout / "corpus" / "releases" / "3.0").exists()


def test_an_edited_release_stops_a_new_release(checkout: Path) -> None:
    _raise_to_3(checkout)
    edited = checkout / "corpus" / "releases" / "1.0" / "cases.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(Problems) as raised:
        release(checkout / "policy", checkout / "corpus")
    assert [d.code for d in raised.value.diagnostics] == ["release.edited"]
    assert not (checkout / "policy" / "releases" / "3.0").exists()


def test_an_interrupted_release_leaves_no_version_behind(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _raise_to_3(checkout)
    calls = []

    def stopped(source: object, target: object) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(shutil, "copy2", stopped)
    with pytest.raises(KeyboardInterrupt):
        release(checkout / "policy", checkout / "corpus")
    assert not (checkout / "policy" / "releases" / "3.0").exists()
    assert not (checkout / "corpus" / "releases" / "3.0").exists()
    assert sorted(p.name for p in (checkout / "corpus" / "releases").iterdir()) == ["1.0", "2.0"]
    assert load_versions(checkout / "policy").released == ("1.0", "2.0")


def test_outside_a_checkout_nothing_is_released_into_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run("release")
    assert (status, out) == (2, "")
    assert "error[release.no-checkout]" in err and "inside your clone" in err
