"""Write a policy's decision diagram in the form the browser reads.

In: a `Diagram` (or, for `diagram_script`, a `PolicyData`, whose diagram is built once).
Out: `diagram_json`, the diagram reduced again over what the browser shows, and
`diagram_script`, the body of `diagram.js` that `decide.js` reads, and `script_json`,
the JSON text such a script holds.

The JSON form, deterministic and without the trace, reasons or quotes:

    {
      "policy": {"id": "case-management", "version": "1.0"},
      "facts": [
        {"name": "activity", "type": "enum", "classes": ["advocacy", ...]},
        {"name": "documented", "type": "boolean", "classes": [true, false]},
        {"name": "days", "type": "integer", "classes": [[0, 29], [30, 30], [31, null]]}
      ],
      "nodes": [{"fact": 0, "branches": [1, 7, ...], "unknown": 9}, ...],
      "leaves": [{"outcome": "not_billable", "rules": ["..."], "missing": []}, ...],
      "root": 0
    }

`fact` is a position in `facts`; `branches` has one child per class, in the order of
`classes` (a whole number's class is `[first, last]`, null meaning no end). A child
`k` below `len(nodes)` is `nodes[k]`, any other is `leaves[k - len(nodes)]`. This form
is reduced again over what it keeps, so a fact that changes only the trace is not
asked there. `diagram_script` wraps it in the JavaScript that `decide.js` reads.
"""

from __future__ import annotations

import json
from typing import Any

from billability.decide.diagram import Child, Diagram, diagram_of
from billability.model.policy import Decision, PolicyData


def diagram_json(diagram: Diagram, reasons: bool = False) -> dict[str, Any]:
    """The diagram reduced again over outcome, deciding rules and missing facts (see the
    module docstring for the shape); every node comes before its children. With
    `reasons`, over the reasons too, and each leaf has its `reasons`."""
    keys: dict[tuple[Any, ...], int] = {}  # a reduced node or leaf -> its number here
    items: list[tuple[Any, ...]] = []
    memo: dict[int, int] = {}

    def reduce(child: Child) -> int:
        found = memo.get(id(child))
        if found is not None:
            return found
        if isinstance(child, Decision):
            key: tuple[Any, ...] = ("leaf", str(child.outcome), child.rules, child.missing)
            if reasons:
                key += (child.reasons,)
        else:
            branches = tuple(reduce(branch) for branch in child.branches)
            unknown = reduce(child.unknown)
            if all(branch == unknown for branch in branches):
                memo[id(child)] = unknown
                return unknown
            key = ("node", child.position, branches, unknown)
        found = keys.setdefault(key, len(items))
        if found == len(items):
            items.append(key)
        memo[id(child)] = found
        return found

    root = reduce(diagram.root)
    # Nodes in reverse post-order (every node before its children), leaves as first met.
    finished: list[int] = []
    visited: set[int] = set()

    def visit(item: int) -> None:
        visited.add(item)
        key = items[item]
        if key[0] == "node":
            for child in (*key[2], key[3]):
                if child not in visited:
                    visit(child)
        finished.append(item)

    visit(root)
    ordered = finished[::-1]
    nodes = [item for item in ordered if items[item][0] == "node"]
    leaves = list(dict.fromkeys(c for n in nodes for c in (*items[n][2], items[n][3]) if items[c][0] == "leaf"))
    if items[root][0] == "leaf":
        leaves = [root]
    number = {item: at for at, item in enumerate(nodes)}
    number.update({item: len(nodes) + at for at, item in enumerate(leaves)})
    return {
        "policy": {"id": diagram.policy_id, "version": diagram.policy_version},
        "facts": [classes.as_json() for classes in diagram.facts],
        "nodes": [
            {"fact": items[n][1], "branches": [number[b] for b in items[n][2]], "unknown": number[items[n][3]]}
            for n in nodes
        ],
        "leaves": [
            {"outcome": items[n][1], "rules": list(items[n][2]), "missing": list(items[n][3])}
            | ({"reasons": list(items[n][4])} if reasons else {})
            for n in leaves
        ],
        "root": number[root],
    }


def diagram_script(policy: PolicyData) -> str:
    """The body of `diagram.js`: sets `window.billability.diagram` to the JSON form.
    Deterministic, and safe inside a `<script>` element (`<`, `>` and `&` escaped)."""
    return (
        "// The policy's decision diagram, generated from the policy by billability: do not edit.\n"
        "window.billability = window.billability || {};\n"
        + f"window.billability.diagram = {script_json(diagram_json(diagram_of(policy)))};\n"
    )


def script_json(value: Any) -> str:
    """`value` as compact JSON that is safe inside a `<script>` element (`<`, `>` and `&`
    escaped), with sorted keys, so the same value always gives the same bytes."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
