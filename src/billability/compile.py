"""Compile policy files into a frozen `Policy`.

In: a policy file or folder (every `*.yaml` below it, in sorted order).
Out: a `Policy`, or `Problems` carrying every diagnostic of the stage that failed:
reading (`file.*`, `yaml.*`), the schema check (`schema.*`) or the meaning of the
policy (`policy.*`: unknown facts and values, type mismatches, duplicate ids,
quotes that are not verbatim in the source text, and so on).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from billability.diagnostics import Diagnostic, Location, Problems, hint_for, one_of, shown
from billability.model import (
    All,
    Always,
    AnyOf,
    Compare,
    Condition,
    Fact,
    FactType,
    FactValue,
    Is,
    Not,
    OneOf,
    Outcome,
    Policy,
    Rule,
    Topic,
)
from billability.resources import policy_dir, real_path, shown_path
from billability.schema import POLICY_FILE, check
from billability.source import Located, PathKey, display_name, iter_yaml_files, read_yaml, read_yaml_file

_COMBINATORS = ("all", "any", "not")


def load_policy(path: str | Path | None = None) -> Policy:
    """Read, check and compile a policy file or folder (the bundled policy by default)."""
    root = Path(path) if path is not None else policy_dir()
    return _Compiler(read_policy_files(root)).compile()


def read_policy_files(root: Path) -> list[Located]:
    """Read and schema-check every file of a policy; raise all problems of both stages."""
    if not root.exists():
        raise Problems([Diagnostic("file.not-found", "no policy file or folder here", Location(str(root)))])
    files = list(iter_yaml_files(root))
    if not files:
        raise Problems([Diagnostic("policy.no-files", "the folder holds no `.yaml` policy files", Location(str(root)))])
    return _read_checked(partial(read_yaml_file, file, display_name(file)) for file in files)


def compile_texts(texts: dict[str, str], source_text: str) -> Policy:
    """Compile a policy given as file name -> YAML text, with its source text in hand
    (used to check edited or generated policies without touching the disk)."""
    located = _read_checked(partial(read_yaml, texts[name], name) for name in sorted(texts))
    return _Compiler(located, source_text=source_text).compile()


def _read_checked(readers: Iterable[Callable[[], Located]]) -> list[Located]:
    """Run each file's reader and schema check; raise every problem of both stages at once."""
    located: list[Located] = []
    problems: list[Diagnostic] = []
    for read in readers:
        try:
            item = read()
        except Problems as error:
            problems.extend(error.diagnostics)
            continue
        problems.extend(check(item, POLICY_FILE))
        located.append(item)
    if problems:
        raise Problems(problems)
    return located


def normalize(text: str) -> str:
    """Text with every run of white space folded to one space, for verbatim comparison."""
    return " ".join(text.split())


class _Compiler:
    def __init__(self, files: list[Located], source_text: str | None = None) -> None:
        self.files = files
        self.source_text = source_text
        self.problems: list[Diagnostic] = []
        self.facts: dict[str, Fact] = {}
        self.topics: dict[str, Topic] = {}

    def problem(self, code: str, message: str, where: Location, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, where, hint))

    def compile(self) -> Policy:
        section = self._policy_section()
        header = section.data["policy"] if section else None
        source_name, source_text = self._source(section)
        source_file = ""
        if section is not None and self.source_text is None and source_text:
            source_file = shown_path(real_path(section.file).parent / source_name)
        self._topics()
        self._facts()
        for fact in self.facts.values():
            self._check_fact_topics(fact)
        fact_conditions = self._fact_conditions()
        rules = self._rules(source_text)
        if self.problems or header is None:
            raise Problems(self.problems)
        facts = tuple(replace(fact, relevant_when=fact_conditions[name]) for name, fact in self.facts.items())
        return Policy(
            id=header["id"],
            title=header["title"],
            source_name=source_name,
            source_text=source_text,
            precedence=tuple(Outcome(o) for o in header["precedence"]),
            default_outcome=Outcome(header["default"]["outcome"]),
            default_reason=header["default"]["reason"],
            topics=tuple(self.topics.values()),
            facts=facts,
            rules=rules,
            files=tuple(f.file for f in self.files),
            source_file=source_file,
        )

    # --- the `policy:` section and its source text ---------------------------------

    def _policy_section(self) -> Located | None:
        found = [f for f in self.files if "policy" in f.data]
        if not found:
            where = Location(self.files[0].file if self.files else "", 1, 1)
            self.problem(
                "policy.missing-section",
                "no file has a `policy:` section",
                where,
                hint="one file must say the policy's id, title, source, precedence and default",
            )
            return None
        for extra in found[1:]:
            self.problem(
                "policy.duplicate-section",
                f"a second `policy:` section (the first is in {found[0].file})",
                extra.where_key(("policy",)),
            )
        return found[0]

    def _source(self, section: Located | None) -> tuple[str, str]:
        if section is None:
            return "", ""
        relative = section.data["policy"]["source"]
        if self.source_text is not None:
            return relative, self.source_text
        path = real_path(section.file).parent / relative
        try:
            return relative, path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            self.problem(
                "policy.source-missing",
                f"cannot read the source text `{relative}`: {reason}",
                section.where(("policy", "source")),
                hint="the path is relative to the file that holds the `policy:` section",
            )
            return relative, ""

    # --- topics and facts ----------------------------------------------------------

    def _topics(self) -> None:
        for located in self.files:
            for name, body in (located.data.get("topics") or {}).items():
                if name in self.topics:
                    self.problem(
                        "policy.duplicate-topic",
                        f"the topic `{name}` is declared twice",
                        located.where_key(("topics", name)),
                    )
                    continue
                self.topics[name] = Topic(name, body["title"], body.get("summary"))

    def _facts(self) -> None:
        self._fact_sources: dict[str, tuple[Located, PathKey]] = {}
        for located in self.files:
            for name, body in (located.data.get("facts") or {}).items():
                path: PathKey = ("facts", name)
                if name in self.facts:
                    self.problem(
                        "policy.duplicate-fact",
                        f"the fact `{name}` is declared twice (first in {self.facts[name].location})",
                        located.where_key(path),
                    )
                    continue
                fact_type = FactType(body["type"])
                values = tuple(
                    FactValue(value, spec["label"], spec.get("topic"))
                    for value, spec in (body.get("values") or {}).items()
                )
                where = located.where_key(path)
                if fact_type is FactType.ENUM and not values:
                    self.problem(
                        "policy.fact-values",
                        f"the fact `{name}` is an enum but lists no `values`",
                        where,
                    )
                if fact_type is not FactType.ENUM and values:
                    self.problem(
                        "policy.fact-values",
                        f"only enum facts list `values`; `{name}` is {fact_type}",
                        located.where_key((*path, "values")),
                    )
                if fact_type is not FactType.INTEGER:
                    for bound in ("minimum", "maximum"):
                        if bound in body:
                            self.problem(
                                "policy.fact-bound",
                                f"only integer facts take `{bound}`; `{name}` is {fact_type}",
                                located.where_key((*path, bound)),
                            )
                self.facts[name] = Fact(
                    name=name,
                    type=fact_type,
                    label=body["label"],
                    question=body["question"],
                    values=values,
                    minimum=body.get("minimum"),
                    maximum=body.get("maximum"),
                    location=where,
                )
                self._fact_sources[name] = (located, path)

    def _check_fact_topics(self, fact: Fact) -> None:
        located, path = self._fact_sources[fact.name]
        for value in fact.values:
            if value.topic is not None and value.topic not in self.topics:
                self.problem(
                    "policy.unknown-topic",
                    f"the topic `{value.topic}` is not declared",
                    located.where((*path, "values", value.name, "topic")),
                    hint=hint_for(value.topic, self.topics),
                )

    def _fact_conditions(self) -> dict[str, Condition]:
        conditions: dict[str, Condition] = {}
        for name, (located, path) in self._fact_sources.items():
            raw = located.data["facts"][name]["relevant_when"]
            where = (*path, "relevant_when")
            conditions[name] = Always(located.where(where)) if raw == "always" else self._condition(raw, located, where)
        return conditions

    # --- rules -----------------------------------------------------------------------

    def _rules(self, source_text: str) -> tuple[Rule, ...]:
        rules: list[Rule] = []
        seen: dict[str, Location] = {}
        source = normalize(source_text)
        for located in self.files:
            for index, body in enumerate(located.data.get("rules") or []):
                path: PathKey = ("rules", index)
                where = located.where(path)
                rule_id = body["id"]
                if rule_id in seen:
                    self.problem(
                        "policy.duplicate-rule-id",
                        f"the rule id `{rule_id}` is used twice (first at {seen[rule_id]})",
                        located.where((*path, "id")),
                        hint="every rule needs its own id",
                    )
                else:
                    seen[rule_id] = located.where((*path, "id"))
                if body["topic"] not in self.topics:
                    self.problem(
                        "policy.unknown-topic",
                        f"the topic `{body['topic']}` is not declared",
                        located.where((*path, "topic")),
                        hint=hint_for(body["topic"], self.topics),
                    )
                for q, quote in enumerate(body["source"]):
                    if source and normalize(quote) not in source:
                        self.problem(
                            "policy.quote-not-in-source",
                            "this quote is not verbatim in the source text",
                            located.where((*path, "source", q)),
                            hint=_closest_passage(quote, source_text),
                        )
                rules.append(
                    Rule(
                        id=rule_id,
                        title=body["title"],
                        topic=body["topic"],
                        outcome=Outcome(body["outcome"]),
                        when=self._condition(body["when"], located, (*path, "when")),
                        reason=body["reason"],
                        quotes=tuple(body["source"]),
                        location=where,
                    )
                )
        return tuple(rules)

    # --- conditions ------------------------------------------------------------------

    def _condition(self, raw: dict[str, Any], located: Located, path: PathKey) -> Condition:
        """A `when:` mapping; each entry must hold, so several entries are an `all`."""
        parts: list[Condition] = []
        for key, value in raw.items():
            at = (*path, key)
            match key:
                case "all":
                    parts.append(
                        All(
                            tuple(self._condition(v, located, (*at, i)) for i, v in enumerate(value)), located.where(at)
                        )
                    )
                case "any":
                    parts.append(
                        AnyOf(
                            tuple(self._condition(v, located, (*at, i)) for i, v in enumerate(value)), located.where(at)
                        )
                    )
                case "not":
                    parts.append(Not(self._condition(value, located, at), located.where(at)))
                case _:
                    test = self._test(key, value, located, at)
                    if test is not None:
                        parts.append(test)
        if len(parts) == 1:
            return parts[0]
        return All(tuple(parts), located.where(path))

    def _test(self, name: str, value: Any, located: Located, path: PathKey) -> Condition | None:
        fact = self.facts.get(name)
        where = located.where(path)
        if fact is None:
            self.problem(
                "policy.unknown-fact",
                f"`{name}` is not a declared fact",
                located.where_key(path),
                hint=hint_for(name, [*self.facts, *_COMBINATORS]),
            )
            return None
        if isinstance(value, dict):
            ((op, bound),) = value.items()
            if fact.type is not FactType.INTEGER:
                self.problem(
                    "policy.type-mismatch",
                    f"`{op}` compares numbers, but `{name}` is {_kind(fact)}",
                    located.where_key((*path, op)),
                    hint=_value_hint(fact),
                )
                return None
            return Compare(name, op, bound, where)
        if isinstance(value, list):
            checked = [self._value(fact, v, located.where((*path, i))) for i, v in enumerate(value)]
            if len(set(map(repr, value))) != len(value):
                self.problem("policy.duplicate-value", f"a value is listed twice for `{name}`", where)
            return OneOf(name, tuple(v for v in checked if v is not None), where)
        checked_value = self._value(fact, value, where)
        return Is(name, checked_value, where) if checked_value is not None else None

    def _value(self, fact: Fact, value: Any, where: Location) -> Any:
        if fact.type is FactType.ENUM:
            if not isinstance(value, str):
                self.problem(
                    "policy.type-mismatch",
                    f"`{fact.name}` takes one of its listed values, not {shown(value)}",
                    where,
                    hint=one_of(fact.value_names),
                )
                return None
            if value not in fact.value_names:
                self.problem(
                    "policy.unknown-value",
                    f"`{value}` is not a value of `{fact.name}`",
                    where,
                    hint=hint_for(value, fact.value_names),
                )
                return None
            return value
        if fact.type is FactType.BOOLEAN:
            if not isinstance(value, bool):
                self.problem(
                    "policy.type-mismatch",
                    f"`{fact.name}` is true or false, not {shown(value)}",
                    where,
                    hint="write `true` or `false`",
                )
                return None
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(
                "policy.type-mismatch",
                f"`{fact.name}` is a whole number, not {shown(value)}",
                where,
                hint="compare with `more_than`, `at_least`, `less_than` or `at_most`",
            )
            return None
        if fact.minimum is not None and value < fact.minimum:
            self.problem("policy.out-of-range", f"`{fact.name}` is never below {fact.minimum}", where)
        return value


def _kind(fact: Fact) -> str:
    return {FactType.ENUM: "a list of values", FactType.BOOLEAN: "true or false", FactType.INTEGER: "a number"}[
        fact.type
    ]


def _value_hint(fact: Fact) -> str | None:
    if fact.type is FactType.ENUM:
        return one_of(fact.value_names)
    if fact.type is FactType.BOOLEAN:
        return f"write `{fact.name}: true` or `{fact.name}: false`"
    return None


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\t|\n|•")


def _closest_passage(quote: str, source_text: str) -> str:
    passages = [normalize(p) for p in _SENTENCE.split(source_text) if len(normalize(p)) > 3]
    close = difflib.get_close_matches(normalize(quote), passages, n=1, cutoff=0.5)
    if close:
        return f"the closest passage in the source is: {close[0]!r}"
    return "copy the words exactly from the source text"
