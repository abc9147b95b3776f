"""The checker page (check/) in a real browser: Debian's headless Chromium driven by Playwright.

The repository's site is built strictly from the checkout into a temporary folder and
served from 127.0.0.1. Which questions the page should show and what it should answer
are computed from the checkout's policy (`Policy.evaluate` and its `missing`), never
written here, so a policy change changes what these tests expect. In CI (`CI` set) a
missing Chromium or Playwright fails the test; elsewhere it skips with the reason.
Screenshots go to pytest's temporary folder, and also to `$BILLABILITY_SCREENSHOTS` when set.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest

from billability.decide.value_classes import domain
from billability.model.policy import Fact, FactType, Outcome, Value
from billability.policy.compiled import Policy
from billability.policy.versions import load_versions
from billability.site.checker import DATE_PARAM, UNKNOWN, UNKNOWN_LABEL, checker_data, checker_versions
from billability.site.pages import OUTCOME_WORDS, topic_path
from browsers import DESKTOP, PHONE, require_browser, screenshot
from policy_texts import CHECKOUT

require_browser()

from playwright.sync_api import Browser, Locator, Page, expect  # noqa: E402

# --- the answers a person gives, and what the page should do with them -------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One answer: a fact's value, or None for "I don't know"."""

    fact: str
    value: Value | None


Path_ = tuple[Step, ...]


def known(steps: Path_) -> dict[str, Value]:
    return {step.fact: step.value for step in steps if step.value is not None}


def next_question(policy: Policy, steps: Path_) -> str | None:
    """The question the checker asks next: the first unanswered fact that would change the outcome."""
    answered = {step.fact for step in steps}
    return next((name for name in policy.evaluate(known(steps)).missing if name not in answered), None)


def shows_answer(policy: Policy, steps: Path_) -> bool:
    """The page shows an answer once the outcome is settled, or once an "I don't know" is
    among the facts that would decide it, or when nothing is left to ask."""
    decision = policy.evaluate(known(steps))
    doubted = {step.fact for step in steps if step.value is None} & set(decision.missing)
    return decision.outcome is not Outcome.UNDETERMINED or bool(doubted) or next_question(policy, steps) is None


def shown_questions(policy: Policy, steps: Path_) -> list[str]:
    """The questions on the page after these answers, in the policy's order."""
    showing = {step.fact for step in steps} | {next_question(policy, steps)}
    return [fact.question for fact in policy.facts if fact.name in showing]


def choices(policy: Policy, fact: Fact) -> tuple[Value | None, ...]:
    return (*domain(policy, fact), None)


def walks(policy: Policy, steps: Path_ = ()) -> Iterator[Path_]:
    """Every way through the questions, one answer at a time, depth first in the policy's order."""
    name = next_question(policy, steps)
    if name is None:
        yield steps
        return
    for value in choices(policy, policy.fact_index[name]):
        yield from walks(policy, (*steps, Step(name, value)))


def shortest_walk(policy: Policy, wanted: Callable[[Path_], bool], depth: int = 4) -> Path_ | None:
    """The shortest way to an answer that `wanted` accepts, looking `depth` answers deep,
    else the first one depth first."""
    layer: list[Path_] = [()]
    for _ in range(depth):
        grown: list[Path_] = []
        for steps in layer:
            name = next_question(policy, steps)
            if name is None:
                if wanted(steps):
                    return steps
                continue
            grown += [(*steps, Step(name, value)) for value in choices(policy, policy.fact_index[name])]
        finished = [steps for steps in grown if next_question(policy, steps) is None and wanted(steps)]
        if finished:
            return finished[0]
        layer = grown
    return next((steps for steps in walks(policy) if wanted(steps)), None)


def ending_in(policy: Policy, outcome: Outcome) -> Callable[[Path_], bool]:
    def wanted(steps: Path_) -> bool:
        return policy.evaluate(known(steps)).outcome is outcome

    return wanted


def with_whole_number(policy: Policy) -> Callable[[Path_], bool]:
    def wanted(steps: Path_) -> bool:
        facts = policy.fact_index
        return any(facts[step.fact].type is FactType.INTEGER and step.value is not None for step in steps)

    return wanted


def long_walk(policy: Policy) -> Path_ | None:
    """A way through that asks a whole number when the policy has one, else one to billable."""
    return shortest_walk(policy, with_whole_number(policy)) or shortest_walk(
        policy, ending_in(policy, Outcome.BILLABLE)
    )


def param(value: Value | None) -> str:
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def choice_label(fact: Fact, value: Value | None) -> str:
    if value is None:
        return UNKNOWN_LABEL
    if fact.type is FactType.BOOLEAN:
        return "Yes" if value else "No"
    return next(v.label for v in fact.values if v.name == value)


# --- the served site ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def checker_url(site_url: str) -> str:
    return site_url + "check/"


def _screenshot(page: Page, folder: Path, name: str) -> Path:
    """The screen as a person sees it, scrolled to the answer when there is one."""
    answer = page.locator(".checker-answer")
    if answer.count():
        # Scrolled down from the top, so the theme's "Back to top" button stays hidden; clear of
        # its sticky header, with the end of the last question above the answer.
        answer.evaluate(
            "box => { const y = box.getBoundingClientRect().top + window.scrollY - 120;"
            " window.scrollTo(0, 0); window.scrollTo(0, y); }"
        )
    return screenshot(page, folder, name)


# --- what the page shows -----------------------------------------------------------------


def question_group(page: Page, fact: Fact) -> Locator:
    return page.get_by_role("group", name=fact.question, exact=True)


def answer_on_page(page: Page, fact: Fact, value: Value | None) -> None:
    group = question_group(page, fact)
    if fact.type is FactType.INTEGER and value is not None:
        box = group.get_by_label(fact.label, exact=True)
        box.fill(str(value))
        box.press("Enter")
    else:
        group.get_by_label(choice_label(fact, value), exact=True).check()


def expect_questions(page: Page, policy: Policy, steps: Path_) -> None:
    expect(page.locator("#checker fieldset:not([hidden]) > legend")).to_have_text(shown_questions(policy, steps))


def expect_answer(page: Page, policy: Policy, steps: Path_) -> None:
    """The live region holds the answer the policy gives, in the words staff read."""
    decision = policy.evaluate(known(steps))
    data = checker_data(policy)
    live = page.locator('[aria-live="polite"]')
    expect(live.locator(".checker-outcome")).to_have_text(OUTCOME_WORDS[decision.outcome])
    expect(live.locator(".checker-advice")).to_have_text(data["outcomes"][decision.outcome.value]["advice"])
    if decision.outcome is Outcome.UNDETERMINED:
        expect(live.locator(".checker-deciding li")).to_have_text(
            [policy.fact_index[name].question for name in decision.missing]
        )
        return
    reasons = live.locator("[data-rule]")
    expect(reasons).to_have_count(len(decision.rules))
    if not decision.rules:
        expect(live).to_contain_text(data["default_reason"])
    for rule_id in decision.rules:
        shown = data["rules"][rule_id]
        item = live.locator(f'[data-rule="{rule_id}"]')
        expect(item.locator(".checker-reason")).to_have_text(shown["reason"])
        expect(item.locator("blockquote")).to_have_text([f"\u201c{quote}\u201d" for quote in shown["quotes"]])
        expect(item.get_by_role("link")).to_have_attribute("href", shown["link"])
        expect(item.get_by_role("link")).to_contain_text(shown["title"])
    if decision.outcome is Outcome.NEEDS_REVIEW:
        expect(live).to_contain_text(policy.review.team)
        expect(live).to_contain_text(policy.review.how)
    text = live.inner_text()
    for rule in policy.rules:
        if "-" in rule.id:
            assert rule.id not in text, f"the answer shows the rule id `{rule.id}`"


def expect_no_answer(page: Page) -> None:
    expect(page.locator("#checker-result .checker-answer")).to_have_count(0)


def address_answers(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def kept_in_address(steps: Path_) -> dict[str, str]:
    """What the address keeps after these answers: the date of the service (today, the
    field's default) and each answer."""
    return {DATE_PARAM: datetime.date.today().isoformat(), **{step.fact: param(step.value) for step in steps}}


def click_through(page: Page, policy: Policy, steps: Path_) -> None:
    """Answer question by question, checking after each answer what the page asks and says."""
    expect_questions(page, policy, ())
    expect_no_answer(page)
    for index, step in enumerate(steps):
        answer_on_page(page, policy.fact_index[step.fact], step.value)
        so_far = steps[: index + 1]
        expect_questions(page, policy, so_far)
        if shows_answer(policy, so_far):
            expect_answer(page, policy, so_far)
        else:
            expect_no_answer(page)
    assert shows_answer(policy, steps)


# --- the tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", list(Outcome))
def test_clicking_through_the_questions_reaches_each_outcome(
    page: Page, checker_url: str, policy: Policy, outcome: Outcome, tmp_path: Path
) -> None:
    steps = shortest_walk(policy, ending_in(policy, outcome))
    if steps is None:
        pytest.skip(f"no way through the checkout's policy ends {outcome.value}")
    if outcome is Outcome.UNDETERMINED:
        assert any(step.value is None for step in steps)
    page.goto(checker_url)
    click_through(page, policy, steps)
    assert address_answers(page.url) == kept_in_address(steps)
    assert _screenshot(page, tmp_path, f"checker-{outcome.value}").stat().st_size > 0


def test_a_whole_number_question_is_a_number_box_with_its_range(page: Page, checker_url: str, policy: Policy) -> None:
    steps = shortest_walk(policy, with_whole_number(policy))
    if steps is None:
        pytest.skip("the checkout's policy asks no whole-number question")
    page.goto(checker_url)
    click_through(page, policy, steps)
    fact = next(policy.fact_index[s.fact] for s in steps if policy.fact_index[s.fact].type is FactType.INTEGER)
    box = question_group(page, fact).get_by_label(fact.label, exact=True)
    expect(box).to_have_attribute("type", "number")
    if fact.minimum is not None:
        expect(box).to_have_attribute("min", str(fact.minimum))
    if fact.maximum is not None:
        expect(box).to_have_attribute("max", str(fact.maximum))
        too_big = fact.maximum + 1
    elif fact.minimum is not None:
        too_big = fact.minimum - 1
    else:
        return
    box.fill(str(too_big))
    box.press("Enter")
    expect(question_group(page, fact).locator(".checker-error")).to_be_visible()
    expect(box).to_have_attribute("aria-invalid", "")


def test_the_answer_survives_a_reload_and_a_shared_link(
    browser: Browser, page: Page, checker_url: str, policy: Policy
) -> None:
    steps = long_walk(policy)
    assert steps is not None
    page.goto(checker_url)
    click_through(page, policy, steps)
    link = page.url
    page.reload()
    expect_questions(page, policy, steps)
    expect_answer(page, policy, steps)
    other = browser.new_context(viewport=DESKTOP)
    try:
        shared = other.new_page()
        shared.goto(link)
        expect_questions(shared, policy, steps)
        expect_answer(shared, policy, steps)
        for step in steps:
            fact = policy.fact_index[step.fact]
            if fact.type is FactType.INTEGER and step.value is not None:
                expect(question_group(shared, fact).get_by_label(fact.label, exact=True)).to_have_value(str(step.value))
            else:
                expect(
                    question_group(shared, fact).get_by_label(choice_label(fact, step.value), exact=True)
                ).to_be_checked()
        assert shared.url == link
    finally:
        other.close()


def test_the_answer_copies_its_own_link(browser: Browser, checker_url: str, policy: Policy) -> None:
    steps = shortest_walk(policy, ending_in(policy, Outcome.NEEDS_REVIEW)) or long_walk(policy)
    assert steps is not None
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(checker_url)
        click_through(page, policy, steps)
        page.get_by_role("button", name="Copy the link to this answer").click()
        expect(page.locator(".checker-copied")).to_have_text("Link copied.")
        assert page.evaluate("navigator.clipboard.readText()") == page.url
        assert address_answers(page.evaluate("navigator.clipboard.readText()")) == kept_in_address(steps)
    finally:
        context.close()


def test_a_link_with_unknown_or_wrong_answers_says_what_it_left_out(
    page: Page, checker_url: str, policy: Policy
) -> None:
    first, second = policy.facts[0], policy.facts[1]
    page.goto(f"{checker_url}?{first.name}=no-such-value&no_such_question=1&{second.name}={UNKNOWN}&h=search+words")
    notice = page.locator("#checker-notice")
    expect(notice).to_be_visible()
    expect(notice.locator("li")).to_have_count(2)
    expect(notice).to_contain_text("no-such-value")
    expect(notice).to_contain_text(first.question)
    expect(notice).to_contain_text("no_such_question")
    expect(notice).not_to_contain_text("search words")
    steps = (Step(second.name, None),)
    expect(question_group(page, second).get_by_label(UNKNOWN_LABEL, exact=True)).to_be_checked()
    expect_questions(page, policy, steps)
    assert address_answers(page.url) == kept_in_address(steps)


def forget_unneeded_after(policy: Policy, answers: dict[str, Value | None], changed: str) -> None:
    """What the page does after an answer changes: a later question's answer is kept only
    while it still changes the outcome."""
    order = [fact.name for fact in policy.facts]
    for name in reversed(order[order.index(changed) + 1 :]):
        if name not in answers:
            continue
        without = {other: value for other, value in answers.items() if other != name}
        if name not in policy.evaluate(known(as_steps(policy, without))).missing:
            del answers[name]


def as_steps(policy: Policy, answers: dict[str, Value | None]) -> Path_:
    return tuple(Step(fact.name, answers[fact.name]) for fact in policy.facts if fact.name in answers)


def test_changing_an_earlier_answer_keeps_only_the_questions_still_needed(
    page: Page, checker_url: str, policy: Policy
) -> None:
    steps = shortest_walk(policy, with_whole_number(policy)) or shortest_walk(
        policy, ending_in(policy, Outcome.NOT_BILLABLE), depth=6
    )
    assert steps is not None and len(steps) >= 3
    page.goto(checker_url)
    click_through(page, policy, steps)
    answers: dict[str, Value | None] = {step.fact: step.value for step in steps}
    # Change the second answer to each of its other values in turn: the page agrees with
    # the policy on what to ask and what to answer after every change.
    fact = policy.fact_index[steps[1].fact]
    assert fact.type is not FactType.INTEGER
    for value in choices(policy, fact):
        if value == answers[fact.name]:
            continue
        answer_on_page(page, fact, value)
        answers[fact.name] = value
        forget_unneeded_after(policy, answers, fact.name)
        now = as_steps(policy, answers)
        expect_questions(page, policy, now)
        if shows_answer(policy, now):
            expect_answer(page, policy, now)
        else:
            expect_no_answer(page)
        assert address_answers(page.url) == kept_in_address(now)


def test_start_again_clears_the_answers_and_the_address(page: Page, checker_url: str, policy: Policy) -> None:
    steps = shortest_walk(policy, ending_in(policy, Outcome.BILLABLE))
    assert steps is not None
    page.goto(checker_url)
    click_through(page, policy, steps)
    page.get_by_role("button", name="Start again").click()
    expect_questions(page, policy, ())
    expect_no_answer(page)
    assert urlsplit(page.url).query == ""
    expect(question_group(page, policy.fact_index[steps[0].fact]).locator("input").first).to_be_focused()


def test_the_keyboard_alone_reaches_an_answer(page: Page, checker_url: str, policy: Policy) -> None:
    steps = shortest_walk(policy, ending_in(policy, Outcome.NEEDS_REVIEW)) or shortest_walk(
        policy, ending_in(policy, Outcome.NOT_BILLABLE)
    )
    assert steps is not None
    page.goto(checker_url)
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#checker') !== null"):
            break
    else:
        pytest.fail("Tab never reached the first question")
    for index, step in enumerate(steps):
        fact = policy.fact_index[step.fact]
        focused_fact = page.evaluate("document.activeElement.closest('fieldset').dataset.fact")
        assert focused_fact == fact.name, "focus does not follow the questions"
        if fact.type is FactType.INTEGER and step.value is not None:
            page.keyboard.type(str(step.value))
            page.keyboard.press("Enter")
        else:
            position = choices(policy, fact).index(step.value)
            # The first answer of a group is chosen with Space; the others by moving to them with the arrows.
            if position == 0:
                page.keyboard.press("Space")
            for _ in range(position):
                page.keyboard.press("ArrowDown")
        expect_questions(page, policy, steps[: index + 1])
        if index < len(steps) - 1:
            page.keyboard.press("Tab")
    expect_answer(page, policy, steps)


def test_without_javascript_the_page_points_to_the_topic_pages(
    browser: Browser, checker_url: str, site_url: str, policy: Policy
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(checker_url)
        message = page.locator(".checker-noscript")
        expect(message).to_be_visible()
        expect(message).to_contain_text("turned off")
        links = message.get_by_role("link")
        expect(links).to_have_text([topic.title for topic in policy.topics])
        for topic, href in zip(policy.topics, links.evaluate_all("links => links.map(l => l.href)"), strict=True):
            assert href == urljoin(site_url, topic_path(topic.name).removesuffix(".md") + "/")
        expect(page.locator("#checker fieldset")).to_have_count(0)
    finally:
        context.close()


def test_a_phone_shows_the_questions_and_answer_with_no_sideways_scrolling(
    browser: Browser, checker_url: str, policy: Policy, tmp_path: Path
) -> None:
    steps = long_walk(policy)
    assert steps is not None
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(checker_url)
        click_through(page, policy, steps)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " document.body.scrollWidth]"
        )
        assert widths[0] <= widths[1] and widths[2] <= widths[1], f"the page scrolls sideways: {widths}"
        for label in page.locator("#checker label.checker-choice:visible").all():
            box = label.bounding_box()
            assert box is not None and box["height"] >= 44, "an answer is smaller than a finger"
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        expect(page.locator(".checker-answer")).to_be_visible()
        assert _screenshot(page, tmp_path, "checker-phone").stat().st_size > 0
    finally:
        context.close()


def test_a_desktop_screenshot_with_an_answer(page: Page, checker_url: str, policy: Policy, tmp_path: Path) -> None:
    steps = long_walk(policy)
    assert steps is not None
    page.goto(checker_url)
    click_through(page, policy, steps)
    assert _screenshot(page, tmp_path, "checker-desktop").stat().st_size > 0


def test_an_answers_link_opens_the_rules_section(page: Page, checker_url: str, policy: Policy) -> None:
    steps = shortest_walk(policy, lambda steps: bool(policy.evaluate(known(steps)).rules))
    assert steps is not None
    page.goto(checker_url + "?" + "&".join(f"{step.fact}={param(step.value)}" for step in steps))
    rule = policy.rule(policy.evaluate(known(steps)).rules[0])
    page.locator(f'[data-rule="{rule.id}"]').get_by_role("link").click()
    expect(page.locator(f'[id="{rule.id}"]')).to_be_in_viewport()
    assert urlsplit(page.url).path.endswith("/" + topic_path(rule.topic).removesuffix(".md") + "/")


def test_every_rules_link_lands_on_a_section_of_the_built_site(built_site: Path, policy: Policy) -> None:
    script = (built_site / "check" / "checker-data.js").read_text(encoding="utf-8")
    data = json.loads(re.search(r"window\.billability\.checker = (\{.*\});", script, flags=re.S).group(1))  # type: ignore[union-attr]
    versions = load_versions(CHECKOUT / "policy")
    shown = versions.in_force(datetime.date.today()) or versions.first
    assert data == checker_versions(shown, versions=versions.versions)
    links = {
        f"{version['policy']['version']}: {rule_id}": rule["link"]
        for version in data["versions"]
        for rule_id, rule in version["rules"].items()
        if rule["link"] is not None
    }
    assert links
    for rule_id, link in links.items():
        address, _, anchor = link.partition("#")
        target = (built_site / "check" / address / "index.html").resolve()
        assert target.exists(), f"the link of `{rule_id}` leads nowhere: {link}"
        assert f'id="{anchor}"' in target.read_text(encoding="utf-8"), f"no section `{anchor}` on {target}"
