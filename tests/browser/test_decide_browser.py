"""`decide.js` in a real browser (Debian's headless Chromium driven by Playwright) decides
as Python's `evaluate`: outcome, deciding rules and missing facts, on every complete
combination of the facts' domain values and thousands of seeded partial scenarios, for
the checkout's policy and the clinic fixture.

The page under test is the site's own checker page, `check/`, built strictly from the
policy's checkout (fixture `decide_page`): the diagram the build compiled and
`decide.js`, loaded as staff's browsers load them. In CI (`CI` set) a missing Chromium or Playwright fails the test; elsewhere it skips.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from billability.policy.compiled import Policy
from browsers import require_browser, served
from scenarios import complete_combinations, half_known_scenarios
from site_builds import build_site, clinic_checkout_with_docs

# Scenarios sent to the page per call: one `page.evaluate` decides a whole batch, sent
# and returned as one JSON text (Playwright's own serialisation of many objects is slow).
BATCH = 10_000
DECIDE_BATCH = "text => JSON.stringify(JSON.parse(text).map(facts => window.billability.decide(facts)))"


require_browser()

from playwright.sync_api import Browser, Page  # noqa: E402


@pytest.fixture(scope="module")
def clinic_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of the clinic fixture's site, built strictly from a copy of its checkout
    given the repository's `docs/`, once for the module."""
    root = tmp_path_factory.mktemp("clinic")
    site = root / "site"
    built = build_site(site, clinic_checkout_with_docs(root))
    assert built.returncode == 0, built.stderr
    with served(site) as url:
        yield url


@pytest.fixture
def decide_page(browser: Browser, clinic: Policy, request: pytest.FixtureRequest) -> Iterator[Callable[[Policy], Page]]:
    """Open the checker page (`check/`) of the site built strictly from the policy's
    checkout (the clinic fixture's, given the repository's `docs/`, or the repository's):
    the diagram the build compiled and `decide.js`, as staff's browsers load them. Each
    site is built once; only the site a test asks for is built."""
    opened: list[Page] = []

    def open_for(policy: Policy) -> Page:
        url: str = request.getfixturevalue("clinic_site_url" if policy.id == clinic.id else "site_url")
        page = browser.new_page()
        page.set_default_timeout(60_000)
        opened.append(page)
        page.goto(f"{url}check/")
        page.wait_for_function("typeof window.billability?.decide === 'function' && !!window.billability.diagram")
        return page

    try:
        yield open_for
    finally:
        for page in opened:
            page.close()


# --- the page against Python -----------------------------------------------------------------


def differences(page: Page, policy: Policy, scenarios: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The scenarios on which the page and `policy.evaluate` disagree (outcome, rules, missing)."""
    found = []
    for start in range(0, len(scenarios), BATCH):
        batch = scenarios[start : start + BATCH]
        answers = json.loads(page.evaluate(DECIDE_BATCH, json.dumps(batch)))
        for scenario, answer in zip(batch, answers, strict=True):
            decision = policy.evaluate(scenario)
            expected = {
                "outcome": str(decision.outcome),
                "rules": list(decision.rules),
                "missing": list(decision.missing),
            }
            if answer != expected:
                found.append((scenario, answer, expected))
    return found


# --- the tests -------------------------------------------------------------------------------


def test_every_complete_combination_decides_as_python(
    decide_page: Callable[[Policy], Page], any_policy: Policy
) -> None:
    scenarios = list(complete_combinations(any_policy))
    assert len(scenarios) >= 100
    assert differences(decide_page(any_policy), any_policy, scenarios) == []


def test_thousands_of_partial_scenarios_decide_as_python(
    decide_page: Callable[[Policy], Page], any_policy: Policy
) -> None:
    scenarios = [{}, *half_known_scenarios(any_policy, 6000, seed=2026)]
    page = decide_page(any_policy)
    assert differences(page, any_policy, scenarios) == []
    outcomes = {answer["outcome"] for answer in json.loads(page.evaluate(DECIDE_BATCH, json.dumps(scenarios[:500])))}
    assert "undetermined" in outcomes and len(outcomes) > 2


def test_undefined_and_absent_facts_are_unknown(decide_page: Callable[[Policy], Page], clinic: Policy) -> None:
    page = decide_page(clinic)
    names = [fact.name for fact in clinic.facts]
    alike = page.evaluate(
        """names => {
            const decide = window.billability.decide;
            const absent = JSON.stringify(decide({}));
            const undefinedFacts = Object.fromEntries(names.map(name => [name, undefined]));
            const nullFacts = Object.fromEntries(names.map(name => [name, null]));
            return [JSON.stringify(decide(undefinedFacts)), JSON.stringify(decide(nullFacts))].map(a => a === absent);
        }""",
        names,
    )
    assert alike == [True, True]


def test_a_value_the_policy_does_not_allow_is_refused(decide_page: Callable[[Policy], Page], clinic: Policy) -> None:
    page = decide_page(clinic)
    name, message = page.evaluate(
        """() => {
            const diagram = window.billability.diagram;
            const name = diagram.facts[diagram.nodes[diagram.root].fact].name;
            try { window.billability.decide({[name]: "no-such-value"}); return [name, ""]; }
            catch (error) { return [name, error.message]; }
        }"""
    )
    assert name in clinic.fact_index
    assert message == f"`no-such-value` is not a value of `{name}`"
