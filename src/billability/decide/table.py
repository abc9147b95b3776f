"""The decision table: a policy's whole input space as regions, each decided once.

In: a compiled `PolicyData`.
Out: a `DecisionTable` (regions from `regions.partition` that together hold every
complete scenario exactly once, each with the outcome and deciding rules every scenario
in it gets), `region_of` a scenario, and the table as rows, Markdown, CSV or JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass

from billability.decide.regions import Restriction, decision_judge, partition, space_of
from billability.model.diagnostics import counted
from billability.model.policy import Outcome, PolicyData, Value

# --- the decision table ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Region:
    """Every complete scenario that meets all `restrictions` (facts not named may be
    anything) gets `outcome`, decided by `rules` (none: the policy's default)."""

    restrictions: tuple[Restriction, ...]
    outcome: Outcome
    rules: tuple[str, ...]
    combinations: int

    def restriction(self, fact: str) -> Restriction | None:
        for restriction in self.restrictions:
            if restriction.fact == fact:
                return restriction
        return None

    def cell(self, fact: str) -> str:
        restriction = self.restriction(fact)
        return "any" if restriction is None else restriction.text

    def contains(self, scenario: Mapping[str, Value]) -> bool:
        return all(r.contains(scenario[r.fact]) for r in self.restrictions)

    @property
    def condition(self) -> str:
        """The region as one readable condition."""
        return "; ".join(r.sentence for r in self.restrictions) or "every scenario"


@dataclass(frozen=True, slots=True)
class DecisionTable:
    policy: str
    columns: tuple[str, ...]
    regions: tuple[Region, ...]
    combinations: int


def decision_table(policy: PolicyData) -> DecisionTable:
    """The policy's whole input space as regions, each with its outcome and deciding rules."""
    space = space_of(policy)
    regions = []
    for leaf in partition(space, decision_judge(policy)):
        assert isinstance(leaf.key, tuple)
        outcome, rules = leaf.key
        regions.append(Region(leaf.restrictions, outcome, rules, space.combinations(leaf.restrictions)))
    used = {r.fact for region in regions for r in region.restrictions}
    columns = tuple(name for name in space.facts if name in used)
    return DecisionTable(policy.id, columns, tuple(regions), space.combinations(()))


def region_of(table: DecisionTable, scenario: Mapping[str, Value]) -> tuple[Region, ...]:
    """The regions that hold a complete scenario (exactly one, for an exact table)."""
    return tuple(region for region in table.regions if region.contains(scenario))


# --- rendering ---------------------------------------------------------------------------


def table_rows(table: DecisionTable) -> list[list[str]]:
    header = ["region", *table.columns, "outcome", "rules"]
    rows = [header]
    for number, region in enumerate(table.regions, start=1):
        cells = [region.cell(name) for name in table.columns]
        rows.append([str(number), *cells, str(region.outcome), " ".join(region.rules) or "(default)"])
    return rows


def table_markdown(table: DecisionTable) -> str:
    rows = table_rows(table)
    lines = [
        f"Decision table of `{table.policy}`: {counted(len(table.regions), 'region')} "
        f"{'covers' if len(table.regions) == 1 else 'cover'} all "
        f"{counted(table.combinations, 'combination')} of the enum and yes/no facts (whole numbers as ranges); "
        "`any` means the fact does not change the decision there.",
        "",
        "| " + " | ".join(rows[0]) + " |",
        "|" + "|".join("---" for _ in rows[0]) + "|",
    ]
    for row in rows[1:]:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def table_csv(table: DecisionTable) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table_rows(table))
    return out.getvalue().rstrip("\n")


def table_json(table: DecisionTable) -> str:
    document = {
        "policy": table.policy,
        "facts": list(table.columns),
        "combinations": table.combinations,
        "regions": [
            {
                "when": {r.fact: r.as_json() for r in region.restrictions},
                "outcome": str(region.outcome),
                "rules": list(region.rules),
                "combinations": region.combinations,
            }
            for region in table.regions
        ],
    }
    return json.dumps(document, indent=2)
