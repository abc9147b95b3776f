"""Split a policy's whole input space into regions, each decided once.

In: one or more compiled `PolicyData`s.
Out: the `Space` of their scenarios, and `partition`, the splitting engine: regions
that together hold every scenario of the space exactly once, each settled by a judge
(`decision_judge`: the outcome and deciding rules every scenario in it gets, which the
decision table of `table` lists; lint and diff reuse it with their own verdicts).
A space can also hold scenarios with facts left blank (`Space.with_blanks`: one more
piece per fact, the value None), which `outcome_judge` decides as `decide` does,
`undetermined` included.

Why the space is finite: every fact is an enum or a boolean except whole numbers,
and rules only compare whole numbers with constants. The constants cut each whole
number fact into intervals (for a constant `b`: up to `b - 1`, exactly `b`, from
`b + 1`), and inside one interval every comparison comes out the same.

How regions stay readable: a fact is split only when a rule that still matters
looks at it (three-valued `truth` on the partial scenario says which rules are
still unsettled), facts are split in declaration order, and values whose sub-tables
come out identical are merged back into one region. A fact no rule needs in a
region is not split there, and shows as "any".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from billability.decide.engine import decide
from billability.decide.scenario import truth
from billability.decide.value_classes import comparison_bounds
from billability.model.policy import Fact, FactType, Outcome, PolicyData, Value

# --- the pieces of the input space ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Restriction:
    """What a region allows for one fact: some enum or boolean values, or a range of
    whole numbers from `low` to `high` (None: no end on that side). In a space with
    blanks, `values` may hold None: the fact left blank (a whole number left blank is
    a restriction of its own, `values == (None,)`, never joined to a range)."""

    fact: str
    values: tuple[Value | None, ...] = ()
    low: int | None = None
    high: int | None = None
    integer: bool = False

    def contains(self, value: Value | None) -> bool:
        if value is None or not self.integer:
            return value in self.values
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    @property
    def blank(self) -> bool:
        """Whether the fact may be left blank (unknown) here."""
        return None in self.values

    @property
    def text(self) -> str:
        """The values as a reader says them: `a or b`, `31 or more`, `0 to 30`, `unknown`."""
        if not self.integer or self.values == (None,):
            shown = [_value_text(v) for v in self.values]
            return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
        if self.low is not None and self.high is not None:
            return str(self.low) if self.low == self.high else f"{self.low} to {self.high}"
        if self.low is not None:
            return f"{self.low} or more"
        if self.high is not None:
            return f"{self.high} or less"
        return "any"  # pragma: no cover - an unbounded range is never a restriction

    @property
    def sentence(self) -> str:
        return f"{self.fact} is {self.text}"

    def as_json(self) -> Any:
        if not self.integer:
            return list(self.values)
        if self.values == (None,):
            return None
        bounds: dict[str, int] = {}
        if self.low is not None:
            bounds["at_least"] = self.low
        if self.high is not None:
            bounds["at_most"] = self.high
        return bounds


def _value_text(value: Value | None) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class Piece:
    """One cell of a fact's domain: an enum value, a boolean, or an interval of whole
    numbers that every comparison of the policies treats alike (`value` stands for it)."""

    value: Value
    restriction: Restriction


@dataclass(frozen=True, slots=True)
class Space:
    """The facts of one or more policies, in declaration order, cut into pieces; with
    `blanks`, each fact may also be left blank (unknown): `partition` then tries the
    value None after the pieces, and the scenarios it covers are partial ones too."""

    facts: tuple[str, ...]
    pieces: Mapping[str, tuple[Piece, ...]]
    finite: frozenset[str]
    blanks: bool = False

    def size(self, name: str) -> int:
        return len(self.pieces[name])

    def with_blanks(self) -> Space:
        """The same space with each fact also left blank (unknown, None), so that a
        partition covers partial scenarios as well as complete ones."""
        return Space(self.facts, self.pieces, self.finite, blanks=True)

    def choices(self, name: str) -> tuple[tuple[Value | None, Restriction], ...]:
        """What a fact may be in this space: each piece's value and restriction, then blank."""
        own: tuple[tuple[Value | None, Restriction], ...] = tuple((p.value, p.restriction) for p in self.pieces[name])
        if not self.blanks:
            return own
        return (*own, (None, Restriction(name, (None,), integer=name not in self.finite)))

    def combinations(self, restrictions: Iterable[Restriction]) -> int:
        """How many combinations of the enum and boolean facts a region holds
        (whole-number facts are counted as ranges, not as values)."""
        narrowed = {r.fact: len(r.values) for r in restrictions if not r.integer}
        total = 1
        for name in self.facts:
            if name in self.finite:
                total *= narrowed.get(name, self.size(name))
        return total


def space_of(*policies: PolicyData) -> Space:
    """The joint input space of the policies: the union of their facts and values, with
    whole numbers cut by every constant either policy compares them with."""
    order: list[str] = []
    declared: dict[str, list[Fact]] = {}
    for policy in policies:
        for fact in policy.facts:
            if fact.name not in declared:
                order.append(fact.name)
                declared[fact.name] = []
            declared[fact.name].append(fact)
    pieces: dict[str, tuple[Piece, ...]] = {}
    finite: set[str] = set()
    for name in order:
        facts = declared[name]
        kind = facts[0].type
        if kind is FactType.INTEGER:
            bounds = set().union(*(comparison_bounds(p, name) for p in policies))
            pieces[name] = _intervals(name, facts, bounds)
            continue
        finite.add(name)
        if kind is FactType.BOOLEAN:
            values: list[Value] = [True, False]
        else:
            values = list(dict.fromkeys(v for fact in facts for v in fact.value_names))
        pieces[name] = tuple(Piece(v, Restriction(name, (v,))) for v in values)
    return Space(tuple(order), pieces, frozenset(finite))


def _intervals(name: str, facts: Sequence[Fact], bounds: Iterable[int]) -> tuple[Piece, ...]:
    lows = [f.minimum for f in facts]
    highs = [f.maximum for f in facts]
    low = None if None in lows else min(m for m in lows if m is not None)
    high = None if None in highs else max(m for m in highs if m is not None)
    # A new interval starts at every compared constant and just after it, and where one
    # policy's own range of allowed numbers starts or ends.
    starts = {b for bound in bounds for b in (bound, bound + 1)}
    starts |= {m for m in lows if m is not None} | {m + 1 for m in highs if m is not None}
    starts = {s for s in starts if (low is None or s > low) and (high is None or s <= high)}
    edges = [low, *sorted(starts)]
    pieces = []
    for i, start in enumerate(edges):
        following = edges[i + 1] if i + 1 < len(edges) else None
        end = following - 1 if following is not None else high
        value = start if start is not None else (end if end is not None else 0)
        pieces.append(Piece(value, Restriction(name, low=start, high=end, integer=True)))
    return tuple(pieces)


# --- the splitting engine ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settled:
    """A verdict that holds for every completion of the partial scenario."""

    key: Hashable


Verdict = Settled | frozenset[str]
"""A judge's answer for a partial scenario: settled, or the facts to split on."""

Judge = Callable[[Mapping[str, Value]], Verdict]


@dataclass(frozen=True, slots=True)
class Leaf:
    restrictions: tuple[Restriction, ...]
    key: Hashable


def partition(space: Space, judge: Judge) -> tuple[Leaf, ...]:
    """Regions that cover every scenario of the space exactly once (every complete one,
    and with blanks every partial one), each with the key its judge settled on.
    Sibling values with identical sub-tables are merged."""
    rank = {name: i for i, name in enumerate(space.facts)}

    # A judge of a space with blanks is given None for a fact left blank.
    def split(scenario: dict[str, Any]) -> tuple[Leaf, ...]:
        verdict = judge(scenario)
        if isinstance(verdict, Settled):
            return (Leaf((), verdict.key),)
        name = min((f for f in verdict if f not in scenario), key=rank.__getitem__)
        choices = space.choices(name)
        children = [split({**scenario, name: value}) for value, _ in choices]
        if all(child == children[0] for child in children[1:]):
            # Every value of the fact gives the same sub-table: the fact does not matter here.
            return children[0]
        groups = _groups([restriction for _, restriction in choices], children, integer=name not in space.finite)
        leaves: list[Leaf] = []
        for restriction, child in groups:
            leaves.extend(Leaf((restriction, *leaf.restrictions), leaf.key) for leaf in child)
        return tuple(leaves)

    leaves = split({})
    return tuple(Leaf(tuple(sorted(leaf.restrictions, key=lambda r: rank[r.fact])), leaf.key) for leaf in leaves)


def _groups(
    pieces: Sequence[Restriction], children: Sequence[tuple[Leaf, ...]], integer: bool
) -> list[tuple[Restriction, tuple[Leaf, ...]]]:
    """The pieces of one fact (their restrictions) joined where their sub-tables are equal."""
    if integer:
        # Only neighbouring intervals merge, so that each region keeps one range; a blank
        # whole number stays a region of its own.
        runs: list[tuple[list[Restriction], tuple[Leaf, ...]]] = []
        blank: list[tuple[Restriction, tuple[Leaf, ...]]] = []
        for piece, child in zip(pieces, children, strict=True):
            if piece.blank:
                blank.append((piece, child))
            elif runs and runs[-1][1] == child:
                runs[-1][0].append(piece)
            else:
                runs.append(([piece], child))
        return [
            (Restriction(run[0].fact, low=run[0].low, high=run[-1].high, integer=True), child) for run, child in runs
        ] + blank
    grouped: dict[tuple[Leaf, ...], list[Restriction]] = {}
    for piece, child in zip(pieces, children, strict=True):
        grouped.setdefault(child, []).append(piece)
    return [
        (Restriction(members[0].fact, tuple(value for p in members for value in p.values)), child)
        for child, members in grouped.items()
    ]


# --- deciding a region -----------------------------------------------------------------


def in_domain(policy: PolicyData, scenario: Mapping[str, Value | None]) -> bool:
    """Whether the known facts of a scenario are values the policy allows (a fact the
    policy does not declare is ignored: no rule of it can look there)."""
    declared = policy.fact_index
    for name, value in scenario.items():
        fact = declared.get(name)
        if fact is None or value is None:
            continue
        if fact.type is FactType.ENUM and value not in fact.value_names:
            return False
        if fact.type is FactType.INTEGER:
            assert isinstance(value, int)
            if (fact.minimum is not None and value < fact.minimum) or (
                fact.maximum is not None and value > fact.maximum
            ):
                return False
    return True


def decision_judge(policy: PolicyData, deciding_rules: bool = True) -> Judge:
    """A judge settled once the outcome is known and, with `deciding_rules`, which rules
    of that outcome apply; the key is (outcome, rule ids), or None outside the policy."""
    by_outcome = [(outcome, [r for r in policy.rules if r.outcome is outcome]) for outcome in policy.precedence]

    def judge(scenario: Mapping[str, Value]) -> Verdict:
        if not in_domain(policy, scenario):
            return Settled(None)
        for outcome, rules in by_outcome:
            holding: list[str] = []
            pending: set[str] = set()
            for rule in rules:
                value = truth(rule.when, scenario)
                if value is None:
                    pending |= rule.facts
                elif value:
                    holding.append(rule.id)
            if holding and not (pending and deciding_rules):
                return Settled((outcome, tuple(sorted(holding)) if deciding_rules else ()))
            if pending:
                return frozenset(pending)
        return Settled((policy.default_outcome, ()))

    return judge


def outcome_judge(policy: PolicyData) -> Judge:
    """A judge of scenarios whose facts may be left blank (None, in a space with blanks):
    settled once every refinement (each fact not yet split given a value, or left blank)
    gets the same exact outcome, `undetermined` included. The key is the outcome, or
    None outside the policy (a value it does not declare).

    Why this settles soundly: a decided outcome holds for every completion, so for every
    refinement too. An undetermined one stays undetermined under any refinement that
    leaves its `missing` facts open: a fact that is not missing changes no completion's
    outcome, so fixing it leaves the outcomes the completions reach as they were."""
    declared = policy.fact_index

    def judge(scenario: Mapping[str, Value | None]) -> Verdict:
        known = {name: value for name, value in scenario.items() if value is not None and name in declared}
        if not in_domain(policy, known):
            return Settled(None)
        decision = decide(policy, known)
        if decision.outcome is not Outcome.UNDETERMINED:
            return Settled(decision.outcome)
        open_facts = frozenset(name for name in decision.missing if name not in scenario)
        return open_facts if open_facts else Settled(Outcome.UNDETERMINED)

    return judge
