"""Write a compiled policy back out as policy YAML.

In: a `Policy` (as compiled, or as changed in memory, e.g. a mutant) and, optionally,
the file each rule should live in.
Out: `{file name: YAML text}` that `compile.compile_texts(texts, policy.source_text)`
compiles to a policy deciding every scenario the same way. The texts use only the
forms the policy schema allows, so what is dumped is something a maintainer could
have written by hand.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import yaml

from billability.model.policy import All, Always, AnyOf, Compare, Condition, Fact, FactType, Is, Not, OneOf, Range, Rule
from billability.policy.compiled import Policy

POLICY_FILE = "policy.yaml"
FACTS_FILE = "facts.yaml"
RULES_FILE = "rules.yaml"


def dump_policy(policy: Policy, rule_files: Mapping[str, str] | None = None) -> dict[str, str]:
    """The policy as YAML texts; `rule_files` maps a rule id to the file it goes in
    (by default the file it was compiled from, relative to the policy's folder)."""
    placed = dict(rule_files or {})
    root = _root(policy)
    rules_by_file: dict[str, list[dict[str, Any]]] = {}
    for rule in policy.rules:
        name = placed.get(rule.id) or _relative(rule, root)
        rules_by_file.setdefault(name, []).append(_rule(rule))
    header = {
        "policy": {
            "id": policy.id,
            "title": policy.title,
            "version": policy.version,
            "effective_from": policy.effective_from,
            "source": policy.source_name,
            "source_document": {
                "title": policy.source_document.title,
                "publisher": policy.source_document.publisher,
                "date": policy.source_document.date,
            },
            "review": {"team": policy.review.team, "how": policy.review.how},
            "precedence": [str(o) for o in policy.precedence],
            "default": {"outcome": str(policy.default_outcome), "reason": policy.default_reason},
        },
        "topics": {
            topic.name: {"title": topic.title, **({"summary": topic.summary} if topic.summary else {})}
            for topic in policy.topics
        },
    }
    if not header["topics"]:
        del header["topics"]
    texts = {POLICY_FILE: _yaml(header)}
    if policy.facts:
        texts[FACTS_FILE] = _yaml({"facts": {fact.name: _fact(fact) for fact in policy.facts}})
    for name, rules in rules_by_file.items():
        # A rule file that collides with the header or the facts file shares it.
        if name in texts:
            texts[name] = texts[name] + _yaml({"rules": rules})
        else:
            texts[name] = _yaml({"rules": rules})
    return texts


def dump_condition(condition: Condition) -> dict[str, Any] | str:
    """A condition as the `when:` (or `relevant_when:`) YAML value that compiles to it."""
    match condition:
        case Always():
            return "always"
        case Is(fact=name, value=value):
            return {name: value}
        case OneOf(fact=name, values=values):
            return {name: list(values)}
        case Compare(fact=name, op=op, bound=bound):
            return {name: {op: bound}}
        case Range(fact=name, lower=lower, upper=upper, span=(low, high)) if low <= high:
            # A range that holds no number (a mutant's) is no range a maintainer may write:
            # it goes out as the `all` of its two comparisons below.
            return {name: {lower.op: lower.bound, upper.op: upper.bound}}
        case All(items=items):
            parts = [_mapping(item) for item in items]
            keys = [key for part in parts for key in part]
            # Several entries of one mapping are an `all`, but only when there are at least
            # two, no key repeats and each entry is one key (a nested `all` written as a
            # mapping would merge into this one): otherwise `all: [...]` keeps the shape.
            if len(parts) > 1 and len(keys) == len(parts) == len(set(keys)):
                return {key: value for part in parts for key, value in part.items()}
            return {"all": parts}
        case AnyOf(items=items):
            return {"any": [_mapping(item) for item in items]}
        case Not(item=item):
            return {"not": _mapping(item)}
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover


def _mapping(condition: Condition) -> dict[str, Any]:
    dumped = dump_condition(condition)
    if isinstance(dumped, str):
        raise ValueError("`always` can only stand alone as a fact's `relevant_when`")
    return dumped


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "topic": rule.topic,
        "outcome": str(rule.outcome),
        "when": _mapping(rule.when),
        "reason": rule.reason,
        "source": list(rule.quotes),
    }


def _fact(fact: Fact) -> dict[str, Any]:
    body: dict[str, Any] = {"type": str(fact.type), "label": fact.label, "question": fact.question}
    if fact.type is FactType.ENUM:
        body["values"] = {
            value.name: {"label": value.label, **({"topic": value.topic} if value.topic else {})}
            for value in fact.values
        }
    if fact.minimum is not None:
        body["minimum"] = fact.minimum
    if fact.maximum is not None:
        body["maximum"] = fact.maximum
    body["relevant_when"] = dump_condition(fact.relevant_when)
    return body


def _root(policy: Policy) -> str:
    """The folder the policy's files share, so rule files keep their relative names."""
    folders = [os.path.dirname(name) for name in policy.files]
    if not folders:
        return ""
    return os.path.commonpath(folders) if all(folders) else ""


def _relative(rule: Rule, root: str) -> str:
    if rule.location is None or not rule.location.file:
        return RULES_FILE
    name = os.path.relpath(rule.location.file, root) if root else rule.location.file
    return name.replace(os.sep, "/")


def _yaml(document: Mapping[str, Any]) -> str:
    # sort_keys=False keeps the declared order (facts are asked in that order);
    # PyYAML quotes any string that could be read as another type.
    return yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=1_000_000)
