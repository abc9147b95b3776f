"""`decide.js` in a real browser (Debian's headless Chromium driven by Playwright) decides
as Python's `evaluate`: outcome, deciding rules and missing facts, on every complete
combination of the facts' domain values and thousands of seeded partial scenarios, for
the checkout's policy and the clinic fixture.

The page under test comes from one fixture, `decide_page`: a page laid out as the site's
checker (`check/` loading `../javascripts/diagram.js` and `../javascripts/decide.js`).
In CI (`CI` set) a missing Chromium or Playwright fails the test; elsewhere it skips.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import random
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from billability.diagram import diagram_script
from billability.evaluate import domain
from billability.model import Policy, Value
from policy_texts import CHECKOUT

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DECIDE_JS = CHECKOUT / "docs" / "pages" / "javascripts" / "decide.js"
# Scenarios sent to the page per call: one `page.evaluate` decides a whole batch, sent
# and returned as one JSON text (Playwright's own serialisation of many objects is slow).
BATCH = 10_000
DECIDE_BATCH = "text => JSON.stringify(JSON.parse(text).map(facts => window.billability.decide(facts)))"


def _unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"no browser at {CHROMIUM}: install Debian's package with `apt-get install -y chromium`"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -e '.[docs]'"
    return None


_REASON = _unavailable()
if _REASON is not None:
    if os.environ.get("CI"):
        # In CI the browser test must run: a missing browser is a failure, not a skip.
        pytest.fail(f"the browser test cannot run in CI: {_REASON}", pytrace=False)
    pytest.skip(_REASON, allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


CHECK_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Check</title>
<script src="../javascripts/diagram.js"></script>
<script src="../javascripts/decide.js"></script>
</head><body></body></html>
"""


@pytest.fixture(scope="module")
def decide_page(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Policy], Page]]:
    """Open, for a policy, a page that has loaded its diagram and decide.js.

    The files are laid out as the built site lays them out (`<site>/check/index.html`,
    `<site>/javascripts/diagram.js`, `<site>/javascripts/decide.js`). To test the site's
    own checker page instead, build the site for the policy's checkout with
    `site_builds.build_site` (the clinic's with `clinic_checkout_with_docs`) and serve
    that folder here in place of `_write_site`; the rest of the tests stay as they are."""
    root = tmp_path_factory.mktemp("decide")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    opened: list[Page] = []

    def open_for(policy: Policy) -> Page:
        site = _write_site(root / f"site-{len(opened)}", policy)
        page = browser.new_page()
        page.set_default_timeout(60_000)
        opened.append(page)
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/{site.name}/check/")
        page.wait_for_function("typeof window.billability?.decide === 'function' && !!window.billability.diagram")
        return page

    try:
        yield open_for
    finally:
        for page in opened:
            page.close()
        server.shutdown()
        server.server_close()


def _write_site(site: Path, policy: Policy) -> Path:
    (site / "check").mkdir(parents=True)
    (site / "javascripts").mkdir()
    (site / "check" / "index.html").write_text(CHECK_PAGE, encoding="utf-8")
    (site / "javascripts" / "diagram.js").write_text(diagram_script(policy), encoding="utf-8")
    (site / "javascripts" / "decide.js").write_text(DECIDE_JS.read_text(encoding="utf-8"), encoding="utf-8")
    return site


# --- the scenarios -------------------------------------------------------------------------


def complete_combinations(policy: Policy) -> list[dict[str, Value]]:
    names = [fact.name for fact in policy.facts]
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(domain(policy, fact) for fact in policy.facts))
    ]


def partial_scenarios(policy: Policy, count: int, seed: int) -> list[dict[str, Value | None]]:
    """Seeded random subsets of the facts known; an unknown fact is left out or null."""
    rng = random.Random(seed)
    made: list[dict[str, Value | None]] = []
    for _ in range(count):
        scenario: dict[str, Value | None] = {}
        for fact in policy.facts:
            choice = rng.random()
            if choice < 0.5:
                scenario[fact.name] = rng.choice(domain(policy, fact))
            elif choice < 0.75:
                scenario[fact.name] = None
        made.append(scenario)
    return made


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


@pytest.fixture(params=["clinic", "policy"])
def any_policy(request: pytest.FixtureRequest) -> Policy:
    loaded: Policy = request.getfixturevalue(request.param)
    return loaded


def test_every_complete_combination_decides_as_python(
    decide_page: Callable[[Policy], Page], any_policy: Policy
) -> None:
    scenarios = complete_combinations(any_policy)
    assert len(scenarios) >= 100
    assert differences(decide_page(any_policy), any_policy, scenarios) == []


def test_thousands_of_partial_scenarios_decide_as_python(
    decide_page: Callable[[Policy], Page], any_policy: Policy
) -> None:
    scenarios = [{}, *partial_scenarios(any_policy, 6000, seed=2026)]
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
