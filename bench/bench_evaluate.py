"""Decisions per second of `policy.evaluate` against a hand-written if/elif function.

Run by hand:  python bench/bench_evaluate.py [--scenarios N] [--repeat R]

Both sides decide the same random complete scenarios in the same run. The policy
side validates its input (names, values, types) on every call; the hand-written
side trusts its input, so the ratio is the whole price of policy as code. The
script first checks that both agree on every scenario, so the numbers compare
equal work. By then `policy.evaluate` walks the policy's decision diagram (built
after its first few hundred decisions); the time to build it is shown apart, with
its size. Times are CPU time of this process, so other work on the machine
disturbs them less.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from billability import load_policy
from billability.decide.diagram import build_diagram

QUALIFIED = {"registered_sud_counselor", "certified_sud_counselor", "lpha"}
NOT_BILLABLE_ACTIVITIES = {
    "transportation": "transportation",
    "moving_assistance": "moving-assistance",
    "client_search": "client-search",
    "no_show_outreach": "no-show-outreach",
    "waiting_during_appointment": "waiting-during-appointment",
    "documentation_outside_note": "documentation-outside-note",
    "data_entry": "data-entry",
}
CONNECTION = {
    "benefits_enrollment": "benefits-enrollment",
    "benefits_transfer": "benefits-transfer",
    "resource_linkage": "resource-linkage",
}
COORDINATION = {
    "loc_transition": "loc-transition",
    "health_care_coordination": "health-care-coordination",
    "social_services_coordination": "social-services-coordination",
}
COMMUNICATION = {
    "provider_communication": "provider-communication",
    "service_follow_up": "service-follow-up",
    "advocacy": "advocacy",
}


def hand_written(s: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The county table's semantics as one would code them by hand: outcome and deciding rules."""
    activity = s["activity"]
    not_billable: list[str] = []
    if s["provider_credential"] not in QUALIFIED:
        not_billable.append("credential-not-qualified")
    if activity in NOT_BILLABLE_ACTIVITIES:
        not_billable.append(NOT_BILLABLE_ACTIVITIES[activity])
        return "not_billable", tuple(sorted(not_billable))
    if activity in CONNECTION:
        if not_billable:
            return "not_billable", tuple(not_billable)
        return "billable", (CONNECTION[activity],)
    if activity == "warm_handoff":
        mode = s["contact_mode"]
        if not s["medically_necessary"]:
            not_billable.append("warm-handoff-not-medically-necessary")
        if not s["documented"]:
            not_billable.append("warm-handoff-not-documented")
        if s["after_discharge"] and s["days_since_discharge"] > 30:
            not_billable.append("warm-handoff-tcs-window")
        if mode == "voicemail":
            not_billable.append("warm-handoff-voicemail")
        elif mode in ("email", "written_report"):
            not_billable.append("warm-handoff-email-or-written")
        if not s["contact_successful"]:
            not_billable.append("contact-not-successful")
        if not_billable:
            return "not_billable", tuple(sorted(not_billable))
        if mode in ("video", "text_message"):
            return "needs_review", ("warm-handoff-video-or-text",)
        return "billable", ("warm-handoff",)
    if activity in COORDINATION:
        mode = s["contact_mode"]
        in_writing = mode in ("email", "written_report")
        if mode == "voicemail":
            not_billable.append("coordination-voicemail")
        elif in_writing and activity != "loc_transition":
            not_billable.append("coordination-email-or-written")
        if not s["contact_successful"]:
            not_billable.append("contact-not-successful")
        if not_billable:
            return "not_billable", tuple(sorted(not_billable))
        if in_writing:
            return "needs_review", ("loc-transition-in-writing",)
        if mode in ("video", "text_message"):
            return "needs_review", ("coordination-video-or-text",)
        return "billable", (COORDINATION[activity],)
    if activity in COMMUNICATION:
        mode = s["contact_mode"]
        if mode in ("email", "written_report"):
            not_billable.append("communication-email-or-written")
        elif mode == "voicemail":
            not_billable.append("communication-voicemail")
        if not s["contact_successful"]:
            not_billable.append("contact-not-successful")
        if not_billable:
            return "not_billable", tuple(sorted(not_billable))
        if mode in ("video", "text_message"):
            return "needs_review", ("communication-video-or-text",)
        return "billable", (COMMUNICATION[activity],)
    if not_billable:
        return "not_billable", tuple(not_billable)
    return "needs_review", ("unlisted-activity",)


def scenarios(count: int, seed: int) -> list[dict[str, Any]]:
    policy = load_policy()
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        scenario: dict[str, Any] = {}
        for fact in policy.facts:
            if fact.type == "enum":
                scenario[fact.name] = rng.choice(fact.value_names)
            elif fact.type == "boolean":
                scenario[fact.name] = rng.random() < 0.5
            else:
                scenario[fact.name] = rng.randint(0, 60)
        made.append(scenario)
    return made


def rate(decide: Callable[[dict[str, Any]], Any], batch: list[dict[str, Any]], repeat: int) -> float:
    """Best-of-`repeat` decisions per second over the batch."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for scenario in batch:
            decide(scenario)
        best = min(best, time.process_time() - started)
    return len(batch) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    policy = load_policy()
    batch = scenarios(args.scenarios, args.seed)
    disagreements = 0
    for scenario in batch:
        decision = policy.evaluate(scenario)
        if (str(decision.outcome), decision.rules) != hand_written(scenario):
            disagreements += 1
    if disagreements:
        raise SystemExit(f"the two sides disagree on {disagreements} scenarios; the comparison would be meaningless")

    rows = []
    ratios = []
    for _ in range(3):
        baseline = rate(hand_written, batch, args.repeat)
        engine = rate(policy.evaluate, batch, args.repeat)
        ratios.append(baseline / engine)
        rows.append((baseline, engine))
    baseline, engine = rows[-1]
    print(f"scenarios: {len(batch):,} complete, random (seed {args.seed}); both sides agree on all")
    print(f"hand-written if/elif:   {baseline:>12,.0f} decisions/s")
    print(f"policy.evaluate:        {engine:>12,.0f} decisions/s (input validation included)")
    started = time.process_time()
    diagram = build_diagram(load_policy())
    built = time.process_time() - started
    print(
        f"decision diagram:       {sum(1 for _ in diagram.nodes())} nodes, {len(diagram.leaves())} leaves, built in {built:.2f} s"
    )
    print(
        f"ratio (hand / policy):  {statistics.median(ratios):.2f}x  (median of 3 rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
    )


if __name__ == "__main__":
    main()
