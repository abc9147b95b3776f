"""Mutation testing of a policy: does the corpus notice when a rule changes?

In: a compiled `Policy`, the corpus `Case`s, and the list of mutants known to be
equivalent (`tests/equivalent-mutants.yaml`: each entry names a mutant and says why no
scenario can tell it from the policy).
Out: every mutant (a small change a maintainer could make by mistake: drop a
condition, negate one, flip a rule's outcome, remove or add a value in a list, move
a number by one, delete a rule, swap two outcomes' precedence), whether a corpus
case kills it, and the problems of the equivalent list (an entry that names no
mutant, or names one the corpus kills, so it was not equivalent after all).

Mutants are policies in memory; `dump.dump_policy` writes any of them out as the
policy YAML a maintainer would have written.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from billability.conditions import NodePath, describe, nodes, parent_of, shown
from billability.conditions import replace as replace_node
from billability.corpus import Case, run_case
from billability.diagnostics import Diagnostic, Location, Problems, hint_for
from billability.evaluate import decide, domain
from billability.model import All, AnyOf, Compare, Condition, FactType, Is, Not, OneOf, Policy, Rule, Value
from billability.resources import project
from billability.schema import check
from billability.source import read_yaml_file

EQUIVALENT_FILE = "equivalent-mutants.schema.json"
_RULE_OUTCOMES = ("billable", "not_billable", "needs_review")


@dataclass(frozen=True, slots=True)
class Mutant:
    """One small change to the policy. `name` says it in the maintainer's words and is
    how the equivalent list refers to it."""

    name: str
    policy: Policy
    location: Location | None
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class Equivalent:
    mutant: str
    reason: str
    location: Location


@dataclass(frozen=True, slots=True)
class MutantResult:
    mutant: Mutant
    killed_by: Case | None
    equivalent: Equivalent | None

    @property
    def survived(self) -> bool:
        return self.killed_by is None and self.equivalent is None


@dataclass(frozen=True, slots=True)
class MutationReport:
    results: tuple[MutantResult, ...]
    problems: tuple[Diagnostic, ...]

    @property
    def killed(self) -> int:
        return sum(1 for result in self.results if result.killed_by is not None)

    @property
    def equivalent(self) -> int:
        return sum(1 for result in self.results if result.equivalent is not None and result.killed_by is None)

    @property
    def survivors(self) -> tuple[MutantResult, ...]:
        return tuple(result for result in self.results if result.survived)

    @property
    def kill_rate(self) -> float:
        """Killed among the mutants that can be killed (all but the equivalent ones)."""
        killable = len(self.results) - self.equivalent
        return 1.0 if killable == 0 else self.killed / killable


# --- generating mutants -----------------------------------------------------------------


def mutants(policy: Policy) -> list[Mutant]:
    """Every mutant of the policy, rule by rule in policy order, then the precedence swaps;
    names are unique (a repeated change in one rule gets `#2`, `#3`)."""
    found = [*(m for rule in policy.rules for m in _rule_mutants(policy, rule)), *_precedence_mutants(policy)]
    seen: dict[str, int] = {}
    unique: list[Mutant] = []
    for mutant in found:
        count = seen.get(mutant.name, 0) + 1
        seen[mutant.name] = count
        unique.append(mutant if count == 1 else replace(mutant, name=f"{mutant.name} #{count}"))
    return unique


def _with_rule(policy: Policy, rule: Rule, changed: Rule | None) -> Policy:
    rules = tuple(kept for kept in (changed if r.id == rule.id else r for r in policy.rules) if kept is not None)
    return replace(policy, rules=rules)


def _rule_mutants(policy: Policy, rule: Rule) -> Iterator[Mutant]:
    label = f"rule {rule.id}"
    yield Mutant(f"{label} deleted", _with_rule(policy, rule, None), rule.location, rule.id)
    for outcome in _RULE_OUTCOMES:
        if outcome != rule.outcome:
            flipped = replace(rule, outcome=type(rule.outcome)(outcome))
            yield Mutant(
                f"{label}: outcome {rule.outcome} -> {outcome}",
                _with_rule(policy, rule, flipped),
                rule.location,
                rule.id,
            )
    for path, node in nodes(rule.when):
        where = node.location or rule.location
        for change, new_node in _node_changes(policy, rule.when, path, node):
            changed = replace(rule, when=replace_node(rule.when, path, new_node))
            yield Mutant(f"{label}: {change}", _with_rule(policy, rule, changed), where, rule.id)


def _node_changes(
    policy: Policy, root: Condition, path: NodePath, node: Condition
) -> Iterator[tuple[str, Condition | None]]:
    """What a maintainer might get wrong about one node, and the node it becomes."""
    words = describe(node)
    # negate: `not` around it, or a `not` taken away
    yield f"negate {words}", node.item if isinstance(node, Not) else Not(node)
    # drop: only an entry of an `all` or `any` with others beside it can go
    parent = parent_of(root, path)
    if isinstance(parent, (All, AnyOf)) and len(parent.items) > 1:
        yield f"drop {words}", None
    match node:
        case OneOf(fact=name, values=values):
            if len(values) > 1:
                for value in values:
                    kept = tuple(v for v in values if v != value)
                    yield f"{name} without {shown(value)}", OneOf(name, kept, node.location)
            fact = policy.fact_index.get(name)
            if fact is not None and fact.type is FactType.ENUM:
                for value in fact.value_names:
                    if value not in values:
                        yield f"{name} also {value}", OneOf(name, (*values, value), node.location)
        case Compare(fact=name, op=op, bound=bound):
            for moved in (bound - 1, bound + 1):
                yield f"{describe(node)} -> {moved}", Compare(name, op, moved, node.location)
        case Is(fact=name, value=value) if isinstance(value, int) and not isinstance(value, bool):
            fact = policy.fact_index.get(name)
            for moved in (value - 1, value + 1):
                if fact is None or fact.minimum is None or moved >= fact.minimum:
                    yield f"{name} is {value} -> {moved}", Is(name, moved, node.location)


def _precedence_mutants(policy: Policy) -> Iterator[Mutant]:
    order = policy.precedence
    for i in range(len(order)):
        for j in range(i + 1, len(order)):
            swapped = list(order)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            yield Mutant(
                f"precedence: {order[i]} and {order[j]} swapped", replace(policy, precedence=tuple(swapped)), None
            )


# --- the equivalent list ----------------------------------------------------------------


def default_equivalent_path() -> Path:
    """The project's equivalent list: `tests/equivalent-mutants.yaml` in the checkout."""
    found = project()
    return (found.root or found.corpus.parent) / "tests" / "equivalent-mutants.yaml"


def load_equivalents(path: Path) -> list[Equivalent]:
    """Read and schema-check the equivalent list; raise `Problems` for what is wrong."""
    located = read_yaml_file(path)
    problems = check(located, EQUIVALENT_FILE)
    if problems:
        raise Problems(problems)
    return [
        Equivalent(body["mutant"], body["reason"], located.where(("equivalent", index, "mutant")))
        for index, body in enumerate(located.data.get("equivalent") or [])
    ]


# --- running ---------------------------------------------------------------------------------


def killer(policy: Policy, cases: Iterable[Case]) -> Case | None:
    """The first case whose expectation the policy no longer meets."""
    for case in cases:
        if not run_case(policy, case).passed:
            return case
    return None


def witness(policy: Policy, mutant: Policy) -> dict[str, Value] | None:
    """A complete scenario the two policies decide differently (outcome or deciding rules),
    trying every combination of each fact's representative values; None when there is none."""
    names = [fact.name for fact in policy.facts]
    values = [domain(policy, fact) for fact in policy.facts]
    # The mutant may compare with a moved number: try its representatives too.
    values = [
        tuple(sorted(set(own) | set(domain(mutant, fact)), key=repr))
        for own, fact in zip(values, mutant.facts, strict=True)
    ]
    for combination in itertools.product(*values):
        scenario = dict(zip(names, combination, strict=True))
        first, second = decide(policy, scenario), decide(mutant, scenario)
        if first.outcome != second.outcome or first.rules != second.rules:
            return scenario
    return None


def run_mutants(policy: Policy, cases: list[Case], equivalents: Iterable[Equivalent] = ()) -> MutationReport:
    """Run the corpus against every mutant and check the equivalent list against the results."""
    problems: list[Diagnostic] = []
    failing = killer(policy, cases)
    if failing is not None:
        problems.append(
            Diagnostic(
                "mutation.corpus-fails",
                f"the corpus fails on the policy itself (`{failing.name}`), so it cannot judge mutants",
                failing.location,
                hint="run `billability test` and fix the corpus or the policy first",
            )
        )
        return MutationReport((), tuple(problems))
    generated = mutants(policy)
    names = [mutant.name for mutant in generated]
    listed: dict[str, Equivalent] = {}
    for listing in equivalents:
        if listing.mutant not in names:
            problems.append(
                Diagnostic(
                    "mutation.unknown-mutant",
                    f"no mutant of this policy is named `{listing.mutant}`",
                    listing.location,
                    hint=hint_for(listing.mutant, names),
                )
            )
        elif listing.mutant in listed:
            problems.append(
                Diagnostic("mutation.duplicate-entry", f"`{listing.mutant}` is listed twice", listing.location)
            )
        else:
            listed[listing.mutant] = listing
    results: list[MutantResult] = []
    for mutant in generated:
        killed_by = killer(mutant.policy, cases)
        entry: Equivalent | None = listed.get(mutant.name)
        if entry is not None and killed_by is not None:
            problems.append(
                Diagnostic(
                    "mutation.not-equivalent",
                    f"`{mutant.name}` is listed as equivalent, but `{killed_by.name}` kills it",
                    entry.location,
                    hint="remove the entry: the corpus tells this mutant apart from the policy",
                )
            )
        elif entry is not None:
            found = witness(policy, mutant.policy)
            if found is not None:
                shown_scenario = ", ".join(f"{name}: {shown(value)}" for name, value in found.items())
                problems.append(
                    Diagnostic(
                        "mutation.not-equivalent",
                        f"`{mutant.name}` is listed as equivalent, but a scenario tells it apart from the policy",
                        entry.location,
                        hint=f"add a corpus case for {{{shown_scenario}}} and remove the entry",
                    )
                )
                entry = None
        results.append(MutantResult(mutant, killed_by, entry))
    return MutationReport(tuple(results), tuple(problems))
