"""Which facts are asked where, and how many combinations of answers a region holds.

In: a `Space` (the joint space of one or more policies) and the policies, whose facts'
`relevant_when` say when each fact is asked; then regions (restrictions of that space).
Out: `AskedFacts`, whose `combinations` counts the combinations of answers to the enum
and yes/no facts a region holds: a fact counts where it is asked (its `relevant_when`
holds on some side, given the other answers), and is left blank, once, elsewhere.
Whole numbers are ranges, not counted. With blanks, an asked fact may be left blank
too (a partial scenario), and a fact whose `relevant_when` cannot be told yet because
of such a blank counts as asked.

How: the facts some `relevant_when` looks at are tried value by value (blank too) and
kept only where they are asked or blank; for each such assignment the other facts
multiply. Assignments that differ only in a whole number can give overlapping sets of
answers: they are joined by inclusion and exclusion.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from billability.decide.regions import Restriction, Space
from billability.decide.scenario import truth
from billability.model.policy import Condition, Value, facts_of
from billability.policy.compiled import Policy


@dataclass(frozen=True, slots=True)
class AskedFacts:
    """When each fact is asked: its `relevant_when` on either side that declares it.
    `deciders` are the facts some `relevant_when` looks at."""

    space: Space
    relevance: Mapping[str, tuple[Condition, ...]]
    deciders: tuple[str, ...]

    @staticmethod
    def of(space: Space, *policies: Policy) -> AskedFacts:
        relevance: dict[str, tuple[Condition, ...]] = {}
        for policy in policies:
            for fact in policy.facts:
                relevance[fact.name] = (*relevance.get(fact.name, ()), fact.relevant_when)
        looked_at = set().union(*(facts_of(c) for conditions in relevance.values() for c in conditions))
        return AskedFacts(space, relevance, tuple(name for name in space.facts if name in looked_at))

    def asked(self, name: str, answers: Mapping[str, Value | None], blanks: bool = False) -> bool:
        """Whether the fact is asked, given the answers to the facts its `relevant_when`
        looks at (None: blank): on some side its `relevant_when` holds, or, with
        `blanks`, cannot be told yet because a fact that is asked was left blank. A fact
        left blank because it is not asked answers nothing: "asked when the mode is a
        call" is not asked where the mode is not asked."""
        return self._asked(name, answers, blanks, frozenset())

    def _asked(self, name: str, answers: Mapping[str, Value | None], blanks: bool, seen: frozenset[str]) -> bool:
        known = {k: v for k, v in answers.items() if v is not None and k != name}
        for condition in self.relevance[name]:
            holds = truth(condition, known)
            if holds:
                return True
            if holds is None and blanks:
                # Unknown: it may yet hold if a blank it looks at is a question still open.
                looked_at = facts_of(condition) - seen - {name}
                if any(
                    answers.get(fact) is None and self._asked(fact, answers, blanks, seen | {name})
                    for fact in looked_at
                    if fact in self.relevance
                ):
                    return True
        return False

    def combinations(self, restrictions: Iterable[Restriction], blanks: bool) -> int:
        """How many combinations of answers to the enum and yes/no facts the region holds,
        each fact counted where it is asked and left blank, once, elsewhere (a region that
        holds a fact's answer only where it is not asked holds no scenario staff give);
        with `blanks`, an asked fact may be blank too (where the region allows)."""
        box = {r.fact: r for r in restrictions}

        def allowed(name: str) -> list[Value | None]:
            values: list[Value | None] = [
                p.value for p in self.space.pieces[name] if name not in box or box[name].contains(p.value)
            ]
            if blanks and (name not in box or box[name].blank):
                values.append(None)
            return values

        def options(name: str, answers: Mapping[str, Value | None]) -> list[Value | None]:
            if self.asked(name, answers, blanks):
                return allowed(name)
            # Not asked: blank, where the region allows a blank.
            return [None] if name not in box or box[name].blank else []

        # The facts `relevant_when` looks at are tried value by value (blank too), each
        # kept only where it is asked or blank; the other facts multiply.
        tried = [list(dict.fromkeys([*allowed(name), None])) for name in self.deciders]
        others = [name for name in self.space.facts if name not in self.deciders]
        found: dict[tuple[Any, ...], set[tuple[frozenset[Value | None], ...]]] = {}
        for values in itertools.product(*tried):
            answers = dict(zip(self.deciders, values, strict=True))
            if any(value not in options(name, answers) for name, value in answers.items()):
                continue
            choices = tuple(frozenset(options(name, answers)) for name in others)
            if not all(choices):
                continue
            counted = tuple(c for name, c in zip(others, choices, strict=True) if name in self.space.finite)
            # Whole numbers are ranges, not counted.
            key = tuple(value if name in self.space.finite else "" for name, value in answers.items())
            found.setdefault(key, set()).add(counted)
        return sum(_union_size(list(boxes)) for boxes in found.values())


def _union_size(boxes: Sequence[tuple[frozenset[Value | None], ...]]) -> int:
    """How many combinations the union of product sets holds (inclusion and exclusion;
    there is more than one only where relevance turns on a whole number's range)."""
    total = 0
    for size in range(1, len(boxes) + 1):
        for chosen in itertools.combinations(boxes, size):
            common = 1
            for sets in zip(*chosen, strict=True):
                common *= len(frozenset.intersection(*sets))
            total += common if size % 2 else -common
    return total
