"""The site over the policy's versions: the pages describe the version in force on the day
the site is built, each version taking effect later is announced ("Coming on DATE")
with the answers it changes, and the checker carries every version.

The checkout here is a copy of the repository's policy/ and corpus/ (with their released
versions) in which a maintainer makes a change and raises the version
(`maintainer_changes.advocacy_by_email_needs_review`), its new version taking effect 30
days after today: until then the site shows the released version, and from that day the
new one. Dates are relative to `datetime.date.today()`.
"""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import pytest

from billability.model.diagnostics import Problems
from billability.model.policy import Outcome
from billability.policy.compile import load_policy
from billability.policy.compiled import Policy
from billability.policy.versions import load_versions
from billability.policy.wording import badge
from billability.site.checker import DATA, DIAGRAM, checker_versions
from billability.site.in_force import site_versions
from billability.site.layout import CHANGES, HOME
from billability.site.layout import CONTRASTS as CONTRASTS_PAGE
from billability.site.pages import build_pages, topic_path
from maintainer_changes import EFFECTIVE_FROM, POLICY_FILE, advocacy_by_email_needs_review
from policy_texts import CHECKOUT
from site_builds import CONFIG, VERSIONED, failing_cases

TODAY = datetime.date.today()
SWITCH_DAY = TODAY + datetime.timedelta(days=30)
CONTRASTS = CONFIG.parent / "contrasts.yaml"
# The rule the change adds, and the activity whose answer by email it changes.
NEW_RULE = "advocacy-by-email"


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout's policy/ and corpus/, with released versions, in which the
    change is made and the new version takes effect on `SWITCH_DAY`."""
    if failing_cases():
        pytest.skip("the checkout's corpus fails, so its site is not built")
    root = tmp_path_factory.mktemp("upcoming")
    for folder in ("policy", "corpus"):
        shutil.copytree(CHECKOUT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    released = load_versions(root / "policy")
    assert released.named(released.current.version) is not None, "the checkout's current version is not released"
    assert released.released, "the checkout has no released version"
    advocacy_by_email_needs_review(root)
    settings = root / POLICY_FILE
    text, moved = EFFECTIVE_FROM.subn(
        lambda found: f'{found["key"]}"{SWITCH_DAY.isoformat()}"', settings.read_text(encoding="utf-8"), count=1
    )
    assert moved == 1
    settings.write_text(text, encoding="utf-8")
    return root


def pages_on(root: Path, day: datetime.date) -> dict[str, str]:
    return build_pages(CONTRASTS, root / "policy", [root / "corpus"], today=day)


@pytest.fixture(scope="module")
def upcoming_pages(changed: Path) -> dict[str, str]:
    return pages_on(changed, TODAY)


@pytest.fixture(scope="module")
def released(changed: Path) -> Policy:
    """The version in force today: the one released before the change."""
    versions = load_versions(changed / "policy")
    shown = versions.in_force(TODAY)
    assert shown is not None and shown is not versions.current
    return shown


def notice(home: str) -> str:
    """The home page's "Coming on" notice, its lines unindented."""
    found = re.search(r'^!!! info "Coming on [^"]*"\n\n((?:    .*\n|\n)+)', home, flags=re.M)
    assert found is not None, "the home page has no Coming on notice"
    return found.group(0)


def test_the_home_page_announces_the_new_version_with_its_day_and_the_answer_it_changes(
    upcoming_pages: dict[str, str], changed: Path, released: Policy
) -> None:
    current = load_policy(changed / "policy")
    home = upcoming_pages[HOME]
    said = notice(home)
    assert f'"Coming on {SWITCH_DAY.isoformat()}: version {current.version}"' in said
    assert f"From {SWITCH_DAY.isoformat()}, answers follow version {current.version}" in said
    advocacy = next(value.label for value in current.fact_index["activity"].values if value.name == "advocacy")
    email = next(value.label for value in current.fact_index["contact_mode"].values if value.name == "email")
    changes = [line for line in said.splitlines() if "→" in line]
    assert len(changes) == 1, said
    assert advocacy in changes[0] and email.lower() in changes[0].lower()
    assert f"{badge(Outcome.NOT_BILLABLE)} → {badge(Outcome.NEEDS_REVIEW)}" in changes[0]
    assert f"(changes.md#coming-{current.version.replace('.', '-')})" in said
    # The notice's first line comes before what the released version says.
    assert home.index(said) > home.index(f"version {released.version}, in effect from {released.effective_from}")


def test_what_changed_lists_the_coming_version_first_under_its_anchor(
    upcoming_pages: dict[str, str], changed: Path, released: Policy
) -> None:
    current = load_policy(changed / "policy")
    page = upcoming_pages[CHANGES]
    heading = f"## Coming on {SWITCH_DAY.isoformat()}: version {current.version} {{ #coming-{current.version.replace('.', '-')} }}"
    assert heading in page
    assert f"This site shows version {released.version}, effective from {released.effective_from}." in page
    section = page[page.index(heading) :]
    assert f"{badge(Outcome.NOT_BILLABLE)} → {badge(Outcome.NEEDS_REVIEW)}" in section
    assert f"until then, answers follow version {released.version}" in section


def test_the_topic_pages_still_show_the_released_version(
    upcoming_pages: dict[str, str], changed: Path, released: Policy
) -> None:
    """Every page but the home page, What changed and the checker is the page the released
    version alone gives: the new rule is on no page, the released rules are."""
    before = pages_on(CHECKOUT, TODAY)
    current = load_policy(changed / "policy")
    assert NEW_RULE in {rule.id for rule in current.rules}
    assert NEW_RULE not in {rule.id for rule in released.rules}
    for topic in released.topics:
        path = topic_path(topic.name)
        assert upcoming_pages[path] == before[path], f"{path} changed before the new version takes effect"
        assert f'id="{NEW_RULE}"' not in upcoming_pages[path] and f"#{NEW_RULE}" not in upcoming_pages[path]
    email_rule = released.rule("communication-email-or-written")
    page = upcoming_pages[topic_path(email_rule.topic)]
    assert email_rule.title in page


def test_on_the_switch_day_the_site_shows_the_new_version_and_announces_nothing(changed: Path) -> None:
    current = load_policy(changed / "policy")
    pages = pages_on(changed, SWITCH_DAY)
    assert "Coming on" not in pages[HOME]
    assert f"version {current.version}, in effect from {SWITCH_DAY.isoformat()}" in pages[HOME]
    rule = current.rule(NEW_RULE)
    assert NEW_RULE in pages[topic_path(rule.topic)]
    assert "## Coming on" not in pages[CHANGES]


# Two cases the change adds to the corpus (maintainer_changes.advocacy_by_email_needs_review).
NEW_CASES = ["Advocating by email needs review", "Advocating by written report is not billable"]


def contrasts_with(root: Path, cases: list[str]) -> Path:
    """The site's contrasts file with one more contrast, of `cases`."""
    path = root / "contrasts.yaml"
    added = "".join(f"      - {name}\n" for name in cases)
    text = (
        CONTRASTS.read_text(encoding="utf-8").rstrip() + f"\n\n  - title: By email or in writing\n    cases:\n{added}"
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_a_contrast_of_the_coming_versions_cases_shows_from_the_day_it_takes_effect(
    changed: Path, tmp_path: Path
) -> None:
    contrasts = contrasts_with(tmp_path, NEW_CASES)
    today = build_pages(contrasts, changed / "policy", [changed / "corpus"], today=TODAY)
    assert "By email or in writing" not in today[CONTRASTS_PAGE]
    later = build_pages(contrasts, changed / "policy", [changed / "corpus"], today=SWITCH_DAY)
    assert "By email or in writing" in later[CONTRASTS_PAGE]


def test_a_contrast_naming_no_case_of_the_current_corpus_stops_the_build_while_a_release_is_shown(
    changed: Path, tmp_path: Path
) -> None:
    contrasts = contrasts_with(tmp_path, [NEW_CASES[0], "Advocating by emial needs review"])
    with pytest.raises(Problems) as raised:
        build_pages(contrasts, changed / "policy", [changed / "corpus"], today=TODAY)
    assert [problem.code for problem in raised.value.diagnostics] == ["site.unknown-case"]


def test_the_checker_carries_every_version_and_names_the_shown_one(
    upcoming_pages: dict[str, str], changed: Path, released: Policy
) -> None:
    versions = load_versions(changed / "policy")
    data = checker_versions(released, versions=versions.versions)
    assert data["shown"] == released.version
    assert [(v["policy"]["version"], v["policy"]["effective_from"]) for v in data["versions"]] == [
        (policy.version, policy.effective_from) for policy in versions.versions
    ]
    assert data["versions"][-1]["until"] is None
    assert data["versions"][-2]["until"] == (SWITCH_DAY - datetime.timedelta(days=1)).isoformat()
    # The new rule has no section on the site yet, so the checker's answer does not link one.
    assert data["versions"][-1]["rules"][NEW_RULE]["link"] is None
    assert data["versions"][-2]["rules"]["communication-email-or-written"]["link"] is not None
    assert f'"shown": "{released.version}"' in upcoming_pages[DATA]
    script = upcoming_pages[DIAGRAM]
    assert script.count('"version":') == len(versions.versions)
    position = [policy.version for policy in versions.versions].index(released.version)
    assert f"window.billability.diagram = window.billability.diagrams[{position}];" in script


def test_the_checkouts_own_site_shows_the_version_in_force_and_announces_each_coming_one() -> None:
    if failing_cases():
        pytest.skip("the checkout's corpus fails, so its site is not built")
    site = site_versions(CHECKOUT / "policy", TODAY)
    assert site.shown is (site.versions.in_force(TODAY) or site.versions.first)
    home = pages_on(CHECKOUT, TODAY)[HOME]
    assert home.count('!!! info "Coming on ') == len(site.upcoming)
    assert f"version {site.shown.version}, in effect from {site.shown.effective_from}" in home


@pytest.mark.parametrize(
    ("day", "shown", "coming"),
    [
        ("2025-06-01", "1.0", ["2.0"]),  # before every version: the first, and what comes after it
        ("2026-03-01", "1.0", ["2.0"]),
        ("2026-06-30", "1.0", ["2.0"]),
        ("2026-07-01", "2.0", []),
        ("2030-01-01", "2.0", []),
    ],
)
def test_the_version_the_site_shows_is_the_one_in_force_on_the_build_day(
    day: str, shown: str, coming: list[str]
) -> None:
    site = site_versions(VERSIONED / "policy", datetime.date.fromisoformat(day))
    assert site.shown.version == shown
    assert [head.version for _, head in site.upcoming] == coming
    expected = [VERSIONED / "corpus"] if shown == "2.0" else [VERSIONED / "corpus" / "releases" / "1.0"]
    assert site.corpus_folders([VERSIONED / "corpus"]) == expected
