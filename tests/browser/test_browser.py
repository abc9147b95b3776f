"""The built staff site in a real browser: Debian's headless Chromium driven by Playwright.

The repository's site is built strictly from the checkout into a temporary folder and
served from 127.0.0.1; what the tests look for (topic cards, rule sections, outcomes)
is read from the checkout's policy, so a change to the policy changes what they expect.
In CI (`CI` set) a missing Chromium or Playwright fails the test; elsewhere it skips
with the reason. Screenshots go to pytest's temporary folder, and also to
`$BILLABILITY_SCREENSHOTS` when set.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from billability.checks.corpus import Case
from billability.model.policy import Outcome
from billability.policy.compiled import Policy
from billability.site.examples import teaches
from billability.site.pages import HOME, OUTCOME_WORDS, build_pages, rule_placements, topic_path
from browsers import require_browser, screenshot
from policy_texts import CHECKOUT
from site_builds import CONFIG

require_browser()

from playwright.sync_api import Page, expect  # noqa: E402


def _search(page: Page, site_url: str, words: str) -> None:
    page.goto(site_url)
    box = page.get_by_placeholder("Search")
    box.click()
    # Typed key by key, as a person would: the theme searches on key events.
    box.press_sequentially(words, delay=10)
    expect(page.locator(".md-search-result__item").first).to_be_visible()


@pytest.fixture(scope="module")
def home() -> str:
    """The home page's Markdown, as the site's hook generates it from the checkout."""
    return build_pages(CONFIG.parent / "contrasts.yaml", CHECKOUT / "policy", [CHECKOUT / "corpus"])[HOME]


def test_home_page_shows_each_topic_card_and_who_may_bill(page: Page, site_url: str, home: str, tmp_path: Path) -> None:
    page.goto(site_url)
    expect(page.locator("h1")).to_contain_text("Can I bill this as case management?")
    cards = re.findall(r"^-   ## \[(.*?)\]", home, flags=re.M)
    assert cards
    expect(page.locator(".grid.cards h2")).to_have_count(len(cards))
    expect(page.locator(".grid.cards h2")).to_contain_text(cards)
    for heading in page.locator(".grid.cards h2").all():
        expect(heading).to_be_in_viewport()
    if '"Who may bill"' in home:
        expect(page.locator(".admonition-title", has_text="Who may bill")).to_be_in_viewport()
    assert screenshot(page, tmp_path, "home").stat().st_size > 0


def test_searching_a_rule_lands_on_its_section_with_its_outcome(
    page: Page, site_url: str, policy: Policy, tmp_path: Path
) -> None:
    rule = next(rule for rule in policy.rules if rule.outcome is Outcome.NOT_BILLABLE)
    _search(page, site_url, rule.title)
    page.locator(".md-search-result__item h2", has_text=rule.title).first.click()
    section = page.locator("h3:target")
    expect(section).to_contain_text(rule.title)
    expect(section).to_be_in_viewport()
    expect(page.locator("h3:target + p .outcome")).to_have_text(OUTCOME_WORDS[rule.outcome])
    assert f"/{topic_path(rule.topic).removesuffix('.md')}/" in page.url
    assert screenshot(page, tmp_path, "search-rule").stat().st_size > 0


def test_search_finds_each_topic_page_by_its_rules_words(page: Page, site_url: str, policy: Policy) -> None:
    placed = rule_placements(policy)
    for topic in policy.topics:
        rule = next((rule for rule in policy.rules if rule.topic == topic.name and rule.id in placed), None)
        if rule is None:
            continue
        _search(page, site_url, rule.title)
        # Results re-render while the theme's search settles; wait for the link rather than
        # reading a snapshot of a list that may be replaced under us.
        link = page.locator(f'.md-search-result__link[href*="{topic_path(topic.name).removesuffix(".md")}/"]')
        expect(link.first).to_be_attached()


def test_a_rule_section_shows_its_exceptions_right_under_its_answer(page: Page, site_url: str, policy: Policy) -> None:
    """A reader who lands on a rule sees, before its quotes and examples, every exception."""
    from billability.site.placement import overriding_rules

    rule = max(
        (rule for rule in policy.rules if rule.outcome is Outcome.BILLABLE),
        key=lambda rule: len(overriding_rules(policy, rule)),
    )
    overrides = overriding_rules(policy, rule)
    if not overrides:
        pytest.skip("no billable rule of this policy has an exception")
    page.goto(f"{site_url}{topic_path(rule.topic).removesuffix('.md')}/#{rule.id}")
    answer = page.locator(f"h3#{rule.id} + p")
    expect(answer).to_contain_text(f"{OUTCOME_WORDS[rule.outcome]} unless")
    exceptions = page.locator(f"h3#{rule.id} ~ h4", has_text="Exceptions").first.locator(
        "xpath=following-sibling::ul[1]"
    )
    expect(exceptions.locator("> li")).to_have_count(len(overrides))
    for other in overrides:
        item = exceptions.locator("> li", has_text=other.title)
        expect(item.locator(".outcome")).to_have_text(OUTCOME_WORDS[other.outcome])
        expect(item.locator("a")).to_have_attribute("href", re.compile(f"#{other.id}$"))


def test_every_topic_page_fits_a_phone_and_its_examples_are_lines(
    phone_page: Page, site_url: str, policy: Policy
) -> None:
    for topic in policy.topics:
        phone_page.goto(f"{site_url}{topic_path(topic.name).removesuffix('.md')}/")
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{topic.title} is {width} px wide on a 390 px phone"
        expect(phone_page.locator("article table")).to_have_count(0)
        for item in phone_page.locator("article ul.examples > li").all():
            expect(item.locator(".outcome")).to_have_count(1)


def test_search_finds_no_case_that_only_pins_the_policy(page: Page, site_url: str, cases: list[Case]) -> None:
    pinning = next((case for case in cases if not teaches(case) and len(case.name.split()) > 6), None)
    if pinning is None:
        pytest.skip("every case of this corpus teaches")
    page.goto(site_url)
    box = page.get_by_placeholder("Search")
    box.click()
    box.press_sequentially(pinning.name, delay=5)
    page.wait_for_function("document.querySelector('.md-search-result__meta') !== null")
    expect(page.locator(".md-search-result__list")).not_to_contain_text(pinning.name)


def test_every_page_footer_shows_the_policy_version(page: Page, site_url: str, policy: Policy) -> None:
    for path in ("", topic_path(policy.topics[0].name).removesuffix(".md") + "/"):
        page.goto(site_url + path)
        footer = page.locator(".md-copyright")
        expect(footer).to_contain_text(f"version {policy.version}")
        expect(footer).to_contain_text(policy.effective_from)
        expect(footer).to_contain_text(policy.source_document.title)
