"""Mutation testing of a policy: does the corpus notice every change that matters?

In: a compiled `Policy` and the corpus `Case`s (which must all pass on the policy).
Out: every mutant (a small change a maintainer could make by mistake: drop or negate a
condition, remove or add a value in a list, move a number by one, flip a rule's outcome,
delete a rule, swap two outcomes' precedence, change the default outcome, or change a
fact's `relevant_when`), and for each one: the case that kills it, or the proof that no
scenario can tell it apart (equivalent, `distinguish.tell_apart`), or, for a survivor,
the scenario that tells it apart, as a corpus case ready to paste (`corpus_case`).

No list is kept by hand: whether a mutant is equivalent is decided, not declared.
Mutants are policies in memory; `dump.dump_policy` writes any of them out as the policy
YAML a maintainer would have written. A mutant's name is its identity: the rule id or
fact name and the condition changed, in the policy's words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum

from billability.checks.corpus import Case, CaseResult, differences, run_cases
from billability.checks.distinguish import Comparison, Witness, alike_at, compare, shown_decision, tell_apart
from billability.model.conditions import NodePath, describe, nodes, parent_of, shown
from billability.model.conditions import replace as replace_node
from billability.model.diagnostics import Diagnostic, Location, Problems
from billability.model.policy import (
    All,
    Always,
    AnyOf,
    Compare,
    Condition,
    Decision,
    Fact,
    FactType,
    Is,
    Not,
    OneOf,
    Outcome,
    Rule,
    Value,
    facts_of,
)
from billability.policy.compiled import Policy
from billability.policy.source import policy_section

_RULE_OUTCOMES = (Outcome.BILLABLE, Outcome.NOT_BILLABLE, Outcome.NEEDS_REVIEW)


@dataclass(frozen=True, slots=True)
class Mutant:
    """One small change to the policy, named in the maintainer's words."""

    name: str
    policy: Policy
    location: Location | None
    rule: str | None = None
    fact: str | None = None


class Status(StrEnum):
    KILLED = "killed"
    EQUIVALENT = "equivalent"
    SURVIVED = "survived"


@dataclass(frozen=True, slots=True)
class MutantResult:
    """A mutant and its fate: killed by a case, proved equivalent (no case killed it and
    no witness exists), or survived (no case killed it, and `witness` tells it apart)."""

    mutant: Mutant
    killed_by: Case | None
    witness: Witness | None

    @property
    def status(self) -> Status:
        if self.killed_by is not None:
            return Status.KILLED
        return Status.EQUIVALENT if self.witness is None else Status.SURVIVED

    @property
    def survived(self) -> bool:
        return self.status is Status.SURVIVED


@dataclass(frozen=True, slots=True)
class MutationReport:
    results: tuple[MutantResult, ...]

    def count(self, status: Status) -> int:
        return sum(1 for result in self.results if result.status is status)

    @property
    def killed(self) -> int:
        return self.count(Status.KILLED)

    @property
    def equivalent(self) -> int:
        return self.count(Status.EQUIVALENT)

    @property
    def survivors(self) -> tuple[MutantResult, ...]:
        return tuple(result for result in self.results if result.survived)

    @property
    def kill_rate(self) -> float:
        """Killed among the mutants some scenario tells apart (all but the equivalent ones)."""
        killable = len(self.results) - self.equivalent
        return 1.0 if killable == 0 else self.killed / killable


# --- generating mutants -----------------------------------------------------------------


def mutants(policy: Policy) -> list[Mutant]:
    """Every mutant of the policy: rule by rule in policy order, then fact by fact, then the
    default outcome and the precedence. Names are unique: a change that reads the same at
    two places of one condition is told apart by the condition around it."""
    located = policy_section(policy.files)
    found = [
        *(mutant for rule in policy.rules for mutant in _rule_mutants(policy, rule)),
        *(mutant for fact in policy.facts for mutant in _relevance_mutants(policy, fact)),
        *_default_mutants(policy, located.where(("policy", "default", "outcome")) if located else None),
        *_precedence_mutants(policy, located.where(("policy", "precedence")) if located else None),
    ]
    counts = Counter(mutant.name for mutant, _ in found)
    named = [
        replace(mutant, name=f"{mutant.name} (in {context})") if counts[mutant.name] > 1 else mutant
        for mutant, context in found
    ]
    # The same change inside the same surrounding condition twice: number them in order.
    seen: Counter[str] = Counter()
    unique: list[Mutant] = []
    for mutant in named:
        seen[mutant.name] += 1
        unique.append(mutant if seen[mutant.name] == 1 else replace(mutant, name=f"{mutant.name} #{seen[mutant.name]}"))
    return unique


_Found = tuple[Mutant, str]
"""A mutant and the words for the condition around the change (to tell apart like names)."""


def _with_rule(policy: Policy, rule: Rule, changed: Rule | None) -> Policy:
    rules = tuple(kept for kept in (changed if r.id == rule.id else r for r in policy.rules) if kept is not None)
    return replace(policy, rules=rules)


def _with_relevance(policy: Policy, fact: Fact, condition: Condition) -> Policy:
    facts = tuple(replace(f, relevant_when=condition) if f.name == fact.name else f for f in policy.facts)
    return replace(policy, facts=facts)


def _rule_mutants(policy: Policy, rule: Rule) -> Iterator[_Found]:
    label = f"rule {rule.id}"
    yield Mutant(f"{label} deleted", _with_rule(policy, rule, None), rule.location, rule.id), label
    for outcome in _RULE_OUTCOMES:
        if outcome != rule.outcome:
            flipped = replace(rule, outcome=outcome)
            name = f"{label}: outcome {rule.outcome} -> {outcome}"
            yield Mutant(name, _with_rule(policy, rule, flipped), rule.location, rule.id), label
    for path, node in nodes(rule.when):
        where = node.location or rule.location
        context = _context(rule.when, path, label)
        for change, new_node in _node_changes(policy, rule.when, path, node):
            changed = replace(rule, when=replace_node(rule.when, path, new_node))
            yield Mutant(f"{label}: {change}", _with_rule(policy, rule, changed), where, rule.id), context


def _relevance_mutants(policy: Policy, fact: Fact) -> Iterator[_Found]:
    """A fact's `relevant_when` changed like a rule's condition; a fact relevant `always`
    instead gets the `relevant_when` of each other fact (a copy-and-paste slip), unless
    that condition looks at the fact itself."""
    label = f"fact {fact.name} relevant when"
    root = fact.relevant_when
    if isinstance(root, Always):
        copied: list[Condition] = []
        for other in policy.facts:
            condition = other.relevant_when
            if isinstance(condition, Always) or condition in copied or fact.name in facts_of(condition):
                continue
            copied.append(condition)
            name = f"{label}: always -> as for {other.name}"
            yield (
                Mutant(name, _with_relevance(policy, fact, condition), root.location or fact.location, fact=fact.name),
                label,
            )
        return
    for path, node in nodes(root):
        where = node.location or fact.location
        for change, new_node in _node_changes(policy, root, path, node):
            changed = replace_node(root, path, new_node)
            mutant = Mutant(f"{label}: {change}", _with_relevance(policy, fact, changed), where, fact=fact.name)
            yield mutant, _context(root, path, label)


def _context(root: Condition, path: NodePath, label: str) -> str:
    parent = parent_of(root, path)
    return label if parent is None else describe(parent)


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
                yield f"{words} -> {moved}", Compare(name, op, moved, node.location)
        case Is(fact=name, value=value) if isinstance(value, int) and not isinstance(value, bool):
            fact = policy.fact_index.get(name)
            for moved in (value - 1, value + 1):
                if fact is None or fact.minimum is None or moved >= fact.minimum:
                    yield f"{name} is {value} -> {moved}", Is(name, moved, node.location)


def _default_mutants(policy: Policy, where: Location | None) -> Iterator[_Found]:
    for outcome in _RULE_OUTCOMES:
        if outcome != policy.default_outcome:
            name = f"default outcome {policy.default_outcome} -> {outcome}"
            yield Mutant(name, replace(policy, default_outcome=outcome), where), "default"


def _precedence_mutants(policy: Policy, where: Location | None) -> Iterator[_Found]:
    order = policy.precedence
    for i in range(len(order)):
        for j in range(i + 1, len(order)):
            swapped = list(order)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            name = f"precedence: {order[i]} and {order[j]} swapped"
            yield Mutant(name, replace(policy, precedence=tuple(swapped)), where), "precedence"


# --- running -------------------------------------------------------------------------------


def meets(case: Case, decision: Decision) -> bool:
    """Whether a decision is what the case expects (what `billability test` checks)."""
    return not differences(case, decision)


def killer(comparison: Comparison, results: Iterable[CaseResult]) -> Case | None:
    """The first case whose expectation the mutant (`comparison.variant`) no longer meets;
    `results` are the cases run on the policy itself, all passing."""
    for result in results:
        case = result.case
        if not comparison.relevance and alike_at(comparison, case.facts):
            continue  # the mutant decides this case as the policy does, and the case passes
        if not meets(case, shown_decision(comparison, case.facts, result.decision)):
            return case
    return None


def corpus_failures(results: Iterable[CaseResult]) -> list[Diagnostic]:
    """A located problem for each case that fails on the policy itself."""
    return [
        Diagnostic(
            "mutation.corpus-fails",
            f"the case `{result.case.name}` fails on the policy itself ({'; '.join(result.differences)}), "
            "so the corpus cannot judge mutants",
            result.case.location,
            hint="run `billability test`, and fix the corpus or the policy first",
        )
        for result in results
        if not result.passed
    ]


def run_mutants(policy: Policy, cases: list[Case]) -> MutationReport:
    """Run the corpus against every mutant and prove the ones it does not kill equivalent
    or find what tells them apart. Raises `Problems` when the corpus fails on the policy
    itself: a failing corpus kills mutants for the wrong reason."""
    passing = run_cases(policy, cases)
    failures = corpus_failures(passing)
    if failures:
        raise Problems(failures)
    results = []
    for mutant in mutants(policy):
        comparison = compare(policy, mutant.policy)
        killed_by = killer(comparison, passing)
        witness = None if killed_by is not None else tell_apart(comparison)
        results.append(MutantResult(mutant, killed_by, witness))
    return MutationReport(tuple(results))


# --- the case to paste ----------------------------------------------------------------------

_PLAIN = re.compile(r"^[a-z][a-z0-9_]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "none"}


def corpus_case(witness: Witness) -> str:
    """The witness as a corpus case that expects what the policy decides, indented to go
    under `cases:` in a corpus file."""
    decision = witness.policy
    facts = ", ".join(f"{name}: {_scalar(value)}" for name, value in witness.facts.items())
    if decision.outcome is Outcome.UNDETERMINED:
        expect = f"{{outcome: {decision.outcome}, missing: [{', '.join(decision.missing)}]}}"
    else:
        expect = f"{{outcome: {decision.outcome}, rules: [{', '.join(decision.rules)}]}}"
    return "\n".join([f"  - name: {_case_name(witness)}", f"    facts: {{{facts}}}", f"    expect: {expect}"])


def _case_name(witness: Witness) -> str:
    decision = witness.policy
    given = [f"{name} is {shown(value)}" for name, value in witness.facts.items()]
    when = "whatever the facts" if not given else "when " + _joined(given)
    if decision.outcome is Outcome.UNDETERMINED:
        sentence = f"Asks for {_joined(list(decision.missing))} {when}"
    else:
        sentence = f"{str(decision.outcome).replace('_', ' ').capitalize()} {when}"
    return _scalar(sentence)


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _scalar(value: Value) -> str:
    """A value as YAML that reads back as the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if (_PLAIN.match(value) and value not in _YAML_WORDS) or re.match(r"^[A-Z][A-Za-z0-9_ ,]*$", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def decision_words(decision: Decision) -> str:
    """A decision in one line: `needs_review by communication-video-or-text`."""
    if decision.outcome is Outcome.UNDETERMINED:
        return f"undetermined, asking for {', '.join(decision.missing) or 'nothing'}"
    return f"{decision.outcome} by {', '.join(decision.rules) or 'the default'}"
