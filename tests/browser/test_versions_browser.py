"""The checker and the home page of a site whose policy has two versions, in a real browser
(Debian's headless Chromium driven by Playwright).

The site is built strictly, once for the module, from a copy of the two-version fixture
(tests/fixtures/versioned: 1.0 released, in effect from 2026-01-01; 2.0 current) whose
version 2.0 takes effect 30 days after today, so that today the site describes 1.0 and
announces 2.0. The service that tells the versions apart (`site_builds.SWITCH`: a
counselor's video call to a provider) and what each version answers come from the
fixture's compiled versions, never written here. In CI (`CI` set) a missing Chromium,
Playwright or axe-core fails the module; elsewhere it skips with the reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from billability.policy.compiled import Policy
from billability.policy.versions import PolicyVersions, load_versions
from billability.policy.wording import OUTCOME_WORDS
from billability.site.checker import DATE_PARAM
from browsers import DESKTOP, PHONE, open_page, require_browser, screenshot, served
from site_builds import SWITCH, build_site, versioned_checkout_with_docs

require_browser("axe_playwright_python")

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, Page, expect  # noqa: E402

TODAY = datetime.date.today()
SWITCH_DAY = TODAY + datetime.timedelta(days=30)
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("versioned")
    config = versioned_checkout_with_docs(root, SWITCH_DAY)
    built = build_site(root / "site", config)
    assert built.returncode == 0, built.stderr
    return root


@pytest.fixture(scope="module")
def versions(checkout: Path) -> PolicyVersions:
    return load_versions(checkout / "versioned" / "policy")


@pytest.fixture(scope="module")
def versioned_url(checkout: Path) -> Iterator[str]:
    with served(checkout / "site") as url:
        yield url


@pytest.fixture(scope="module")
def first(versions: PolicyVersions) -> Policy:
    return versions.first


@pytest.fixture(scope="module")
def second(versions: PolicyVersions) -> Policy:
    assert versions.current.effective_from == SWITCH_DAY.isoformat()
    return versions.current


def checker_address(url: str, day: str | None = None, **facts: str) -> str:
    query = ({DATE_PARAM: day} if day is not None else {}) | facts
    return f"{url}check/" + (f"?{urlencode(query)}" if query else "")


def expect_answered_by(page: Page, policy: Policy, day: str) -> None:
    """The answer is the version's for the switching service, and names that version and the day."""
    live = page.locator('[aria-live="polite"]')
    expect(live.locator(".checker-outcome")).to_have_text(OUTCOME_WORDS[policy.evaluate(SWITCH).outcome])
    expect(live.locator(".checker-version")).to_contain_text(
        f"version {policy.version} of the policy, in force on {day}"
    )
    expect(page.locator("#checker-policy")).to_contain_text(
        f"version {policy.version}, in effect from {policy.effective_from}"
    )


def test_the_two_versions_answer_the_switching_service_differently(first: Policy, second: Policy) -> None:
    assert first.evaluate(SWITCH).outcome != second.evaluate(SWITCH).outcome


def test_the_date_is_today_by_default_and_the_version_in_force_answers(
    page: Page, versioned_url: str, first: Policy
) -> None:
    page.goto(checker_address(versioned_url, **SWITCH))
    expect(page.get_by_label("Date of the service")).to_have_value(TODAY.isoformat())
    expect_answered_by(page, first, TODAY.isoformat())
    assert dict(parse_qsl(urlsplit(page.url).query))[DATE_PARAM] == TODAY.isoformat()


def test_a_service_before_and_after_the_switch_is_answered_by_each_version(
    browser: Browser, page: Page, versioned_url: str, first: Policy, second: Policy, tmp_path: Path
) -> None:
    page.goto(checker_address(versioned_url, **SWITCH))
    date = page.get_by_label("Date of the service")
    before = (SWITCH_DAY - datetime.timedelta(days=1)).isoformat()
    date.fill(before)
    expect_answered_by(page, first, before)
    expect(page.locator("#checker-policy")).to_contain_text(f"in effect from {first.effective_from} to {before}")
    date.fill(SWITCH_DAY.isoformat())
    expect_answered_by(page, second, SWITCH_DAY.isoformat())
    live = page.locator('[aria-live="polite"]')
    # The site describes the version in force today; the answer says so, and that 2.0 is still to come.
    expect(live.locator(".checker-version")).to_contain_text(f"it takes effect on {second.effective_from}")
    expect(live.locator(".checker-version")).to_contain_text(f"The rest of this site describes version {first.version}")
    assert screenshot(page, tmp_path, "checker-upcoming-version").stat().st_size > 0
    # The address keeps the date: a colleague opening the link gets the same answer, from the same version.
    link = page.url
    assert dict(parse_qsl(urlsplit(link).query)) == {DATE_PARAM: SWITCH_DAY.isoformat(), **SWITCH}
    other = browser.new_context(viewport=DESKTOP)
    try:
        shared = other.new_page()
        shared.goto(link)
        expect(shared.get_by_label("Date of the service")).to_have_value(SWITCH_DAY.isoformat())
        expect_answered_by(shared, second, SWITCH_DAY.isoformat())
    finally:
        other.close()


def test_a_date_before_the_first_version_gets_a_message_and_no_answer(
    page: Page, versioned_url: str, first: Policy
) -> None:
    page.goto(checker_address(versioned_url, **SWITCH))
    date = page.get_by_label("Date of the service")
    early = (datetime.date.fromisoformat(first.effective_from) - datetime.timedelta(days=1)).isoformat()
    date.fill(early)
    live = page.locator('[aria-live="polite"]')
    expect(live.locator(".checker-no-version")).to_contain_text(
        f"No version of the policy was in force on {early}: the first, version {first.version}, "
        f"took effect on {first.effective_from}"
    )
    expect(page.locator(".checker-answer")).to_have_count(0)
    expect(page.locator("#checker")).to_be_hidden()
    expect(date).to_have_attribute("aria-invalid", "")
    # The answers wait in the address; a day with a version in force answers them again.
    assert dict(parse_qsl(urlsplit(page.url).query)) == {DATE_PARAM: early, **SWITCH}
    date.fill(first.effective_from)
    expect_answered_by(page, first, first.effective_from)
    expect(date).not_to_have_attribute("aria-invalid", "")


def test_a_link_with_a_date_before_the_first_version_gives_no_answer(
    page: Page, versioned_url: str, first: Policy
) -> None:
    page.goto(checker_address(versioned_url, "2000-01-01", **SWITCH))
    expect(page.locator(".checker-no-version")).to_contain_text("No version of the policy was in force on 2000-01-01")
    expect(page.locator(".checker-answer")).to_have_count(0)


@pytest.mark.parametrize("written", ["tomorrow", "2026-02-30", "15/11/2026"])
def test_a_link_whose_date_is_not_a_date_says_so_and_asks_for_one(page: Page, versioned_url: str, written: str) -> None:
    page.goto(checker_address(versioned_url, written, **SWITCH))
    expect(page.locator("#checker-notice")).to_contain_text(f"\u201c{written}\u201d is not a date")
    expect(page.get_by_label("Date of the service")).to_have_value("")
    expect(page.locator(".checker-no-version")).to_contain_text("Enter the date of the service")
    expect(page.locator(".checker-answer")).to_have_count(0)


def test_a_phone_shows_the_date_and_the_answer_with_no_sideways_scrolling(
    browser: Browser, versioned_url: str, second: Policy
) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(checker_address(versioned_url, SWITCH_DAY.isoformat(), **SWITCH))
        expect_answered_by(page, second, SWITCH_DAY.isoformat())
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
        box = page.get_by_label("Date of the service").bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"]
    finally:
        context.close()


def test_the_home_page_announces_the_coming_version_and_links_its_changes(
    page: Page, versioned_url: str, first: Policy, second: Policy
) -> None:
    page.goto(versioned_url)
    notice = page.locator(".admonition", has_text=f"Coming on {SWITCH_DAY.isoformat()}")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(f"version {second.version} instead of version {first.version}")
    expect(notice).to_contain_text(
        f"{OUTCOME_WORDS[first.evaluate(SWITCH).outcome]} → {OUTCOME_WORDS[second.evaluate(SWITCH).outcome]}"
    )
    notice.get_by_role("link", name=f"Every answer version {second.version} changes").click()
    section = page.locator(f"#coming-{second.version.replace('.', '-')}")
    expect(section).to_be_in_viewport()
    expect(section).to_contain_text(f"Coming on {SWITCH_DAY.isoformat()}")


@pytest.mark.parametrize(
    ("address", "day"),
    [
        pytest.param("", None, id="home"),
        pytest.param("check/", SWITCH_DAY.isoformat(), id="checker-answer"),
        pytest.param("check/", "2000-01-01", id="checker-no-version"),
    ],
)
def test_the_new_parts_have_no_serious_axe_violation(
    browser: Browser, versioned_url: str, address: str, day: str | None
) -> None:
    axe = Axe()
    for viewport in (DESKTOP, PHONE):
        page = open_page(browser, viewport)
        try:
            query = "?" + urlencode({DATE_PARAM: day, **SWITCH}) if day else ""
            page.goto(versioned_url + address + query)
            page.wait_for_load_state("load")
            violations = axe.run(page).response["violations"]
            blocking = [
                f"{violation['id']} at {[node['target'] for node in violation['nodes']]}: {violation['help']}"
                for violation in violations
                if violation["impact"] in BLOCKING_IMPACTS
            ]
            assert not blocking, f"/{address}{query} at {viewport}: {blocking}"
        finally:
            page.close()
