"""Compile policy files into a frozen `Policy`.

In: a policy file or folder (every `*.yaml` below it, in sorted order).
Out: a `Policy`, or `Problems` carrying every diagnostic of every file at once:
reading (`file.*`, `yaml.*`), the schema check (`schema.*`) and the meaning of the
policy (`policy.*`: unknown facts and values, type mismatches, duplicate ids, a
range that holds no whole number, quotes that are not verbatim in the source text,
and so on).

A schema error hides only what it makes meaningless: a rule whose `outcome` is
misspelled still has its `when` checked against the facts and its quotes against
the source; a test whose value has the wrong shape is skipped, the rest of its
condition is not. A fact whose own declaration is wrong (its type, or the shape of
its values) is still declared: rules that name it are not told it is unknown, and
their tests on it are not checked until it is fixed. A file that cannot be read at
all leaves the policy's vocabulary unknown, so nothing is reported as undeclared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from billability.model.diagnostics import Diagnostic, Location, Problems, hint_for, one_of, shown
from billability.model.policy import (
    LOWER_BOUNDS,
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
    Range,
    ReviewContact,
    Rule,
    SourceDocument,
    Topic,
)
from billability.model.resources import policy_dir, real_path, shown_path
from billability.policy.compiled import Policy
from billability.policy.quotes import is_verbatim, mismatch_hint, normalize
from billability.policy.schema import POLICY_FILE, violations
from billability.policy.source import Located, PathKey, display_name, iter_yaml_files, read_yaml, read_yaml_file

__all__ = ["compile_texts", "load_policy", "normalize"]

_COMBINATORS = ("all", "any", "not")


def load_policy(path: str | Path | None = None) -> Policy:
    """Read, check and compile a policy file or folder (the bundled policy by default)."""
    root = Path(path) if path is not None else policy_dir()
    if not root.exists():
        raise Problems([Diagnostic("file.not-found", "no policy file or folder here", Location(shown_path(root)))])
    files = list(iter_yaml_files(root))
    if not files:
        raise Problems(
            [Diagnostic("policy.no-files", "the folder holds no `.yaml` policy files", Location(shown_path(root)))]
        )
    return _compile([partial(read_yaml_file, file, display_name(file)) for file in files])


def compile_texts(texts: dict[str, str], source_text: str) -> Policy:
    """Compile a policy given as file name -> YAML text, with its source text in hand
    (used to check edited or generated policies without touching the disk)."""
    return _compile([partial(read_yaml, texts[name], name) for name in sorted(texts)], source_text)


@dataclass(frozen=True, slots=True)
class _File:
    """A policy file as read, and the parts of it the schema check found wrong."""

    located: Located
    flaws: frozenset[PathKey] = frozenset()
    bad_names: frozenset[PathKey] = frozenset()

    def holds(self, path: PathKey) -> bool:
        """No schema error is about this part or a part that holds it (parts inside it may have some)."""
        return not any(path[: len(flaw)] == flaw for flaw in self.flaws)

    def sound(self, path: PathKey) -> bool:
        """No schema error is about this part, a part that holds it, or a part inside it."""
        return self.holds(path) and not any(flaw[: len(path)] == path for flaw in self.flaws)

    def section(self, name: str) -> Any:
        """The file's `name:` section, when the schema found its shape right (else None)."""
        data = self.located.data
        if not isinstance(data, dict) or not self.holds((name,)):
            return None
        return data.get(name)

    def declarations(self, name: str) -> tuple[dict[str, Any], bool]:
        """The names the file's `name:` section (`facts`, `topics`) declares, and whether
        those are all it may declare: not when the file or the section has the wrong shape."""
        section = self.section(name)
        if isinstance(section, dict):
            return section, True
        data = self.located.data
        return {}, isinstance(data, dict) and self.holds(()) and name not in data

    def where(self, path: PathKey) -> Location:
        return self.located.where(path)

    def where_key(self, path: PathKey) -> Location:
        return self.located.where_key(path)


def _compile(readers: Sequence[Callable[[], Located]], source_text: str | None = None) -> Policy:
    """Read, schema-check and compile every file; raise every problem of every stage at once."""
    files: list[_File] = []
    problems: list[Diagnostic] = []
    for read in readers:
        try:
            located = read()
        except Problems as error:
            problems.extend(error.diagnostics)
            continue
        found = violations(located, POLICY_FILE)
        problems.extend(violation.diagnostic for violation in found)
        files.append(
            _File(
                located,
                frozenset(v.path for v in found),
                frozenset(v.path for v in found if v.diagnostic.code == "schema.name"),
            )
        )
    compiler = _Compiler(files, all_read=len(files) == len(readers), source_text=source_text)
    policy = compiler.compile()
    problems.extend(compiler.problems)
    if problems or policy is None:
        raise Problems(problems)
    return policy


class _Compiler:
    def __init__(self, files: list[_File], all_read: bool = True, source_text: str | None = None) -> None:
        self.files = files
        # A file that cannot be read, or is not a mapping, may declare anything.
        self.all_read = all_read and all(isinstance(f.located.data, dict) and f.holds(()) for f in files)
        self.source_text = source_text
        self.problems: list[Diagnostic] = []
        self.facts: dict[str, Fact] = {}
        # Facts whose declaration has a schema error: declared, but what they allow is unknown.
        self.unclear_facts: list[str] = []
        self.topics: dict[str, Topic | None] = {}
        # Whether every fact and topic name is known: no file unread, no section of the wrong shape.
        self.all_facts_known = self.all_read
        self.all_topics_known = self.all_read

    def problem(self, code: str, message: str, where: Location, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, where, hint))

    def compile(self) -> Policy | None:
        """The policy, or None when it has problems (collected in `self.problems`)."""
        section = self._policy_section()
        source_name, source_text = self._source(section)
        self._dates(section)
        source_file = ""
        if section is not None and self.source_text is None and source_text:
            source_file = shown_path(real_path(section.located.file).parent / source_name)
        self._topics()
        self._facts()
        for fact in self.facts.values():
            self._check_fact_topics(fact)
        fact_conditions = self._fact_conditions()
        rules = self._rules(source_text)
        whole = self.all_read and not any(file.flaws for file in self.files)
        if self.problems or not whole or section is None:
            return None
        header = section.located.data["policy"]
        facts = tuple(replace(fact, relevant_when=fact_conditions[name]) for name, fact in self.facts.items())
        return Policy(
            id=header["id"],
            title=header["title"],
            source_name=source_name,
            source_text=source_text,
            precedence=tuple(Outcome(o) for o in header["precedence"]),
            default_outcome=Outcome(header["default"]["outcome"]),
            default_reason=header["default"]["reason"],
            topics=tuple(topic for topic in self.topics.values() if topic is not None),
            facts=facts,
            rules=rules,
            files=tuple(f.located.file for f in self.files),
            source_file=source_file,
            version=header["version"],
            effective_from=header["effective_from"],
            source_document=SourceDocument(**header["source_document"]),
            review=ReviewContact(**header["review"]),
        )

    # --- the `policy:` section and its source text ---------------------------------

    def _policy_section(self) -> _File | None:
        found = [f for f in self.files if isinstance(f.located.data, dict) and "policy" in f.located.data]
        if not found:
            if self.all_read:
                where = Location(self.files[0].located.file if self.files else "", 1, 1)
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
                f"a second `policy:` section (the first is in {found[0].located.file})",
                extra.where_key(("policy",)),
            )
        return found[0]

    def _dates(self, section: _File | None) -> None:
        """The schema checks a date's shape; here, that it is a day of the calendar."""
        if section is None:
            return
        for path in (("policy", "effective_from"), ("policy", "source_document", "date")):
            if not section.sound(path):
                continue
            written = section.located.data["policy"]
            for key in path[1:]:
                written = written[key]
            try:
                date.fromisoformat(written)
            except ValueError:
                self.problem(
                    "policy.bad-date",
                    f"`{written}` is not a date of the calendar",
                    section.where(path),
                    hint="write the date as YYYY-MM-DD, e.g. 2026-12-01",
                )

    def _source(self, section: _File | None) -> tuple[str, str]:
        if section is None or not section.sound(("policy", "source")):
            return "", ""
        relative = section.located.data["policy"]["source"]
        if self.source_text is not None:
            return relative, self.source_text
        path = real_path(section.located.file).parent / relative
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
        for file in self.files:
            topics, whole = file.declarations("topics")
            self.all_topics_known &= whole
            for name, body in topics.items():
                if name in self.topics:
                    self.problem(
                        "policy.duplicate-topic",
                        f"the topic `{name}` is declared twice",
                        file.where_key(("topics", name)),
                    )
                    continue
                sound = file.sound(("topics", name))
                self.topics[name] = Topic(name, body["title"], body.get("summary")) if sound else None

    def _facts(self) -> None:
        self._fact_sources: dict[str, tuple[_File, PathKey]] = {}
        first: dict[str, Location] = {}
        for file in self.files:
            facts, whole = file.declarations("facts")
            self.all_facts_known &= whole
            for name, body in facts.items():
                path: PathKey = ("facts", name)
                where = file.where_key(path)
                if name in first:
                    self.problem(
                        "policy.duplicate-fact",
                        f"the fact `{name}` is declared twice (first in {first[name]})",
                        where,
                    )
                    continue
                first[name] = where
                values_path = (*path, "values")
                if (
                    not isinstance(body, dict)
                    or not file.holds(path)
                    or not file.sound((*path, "type"))
                    or not file.holds(values_path)
                    or not isinstance(body.get("values", {}), dict)
                ):
                    self.unclear_facts.append(name)
                    continue
                self._fact(file, name, body, path)

    def _fact(self, file: _File, name: str, body: dict[str, Any], path: PathKey) -> None:
        fact_type = FactType(body["type"])
        values = tuple(
            FactValue(value, spec.get("label", ""), spec.get("topic"))
            if isinstance(spec, dict)
            else FactValue(value, "")
            for value, spec in (body.get("values") or {}).items()
        )
        where = file.where_key(path)
        if fact_type is FactType.ENUM and not values:
            self.problem("policy.fact-values", f"the fact `{name}` is an enum but lists no `values`", where)
        if fact_type is not FactType.ENUM and values:
            self.problem(
                "policy.fact-values",
                f"only enum facts list `values`; `{name}` is {fact_type}",
                file.where_key((*path, "values")),
            )
        if fact_type is not FactType.INTEGER:
            for bound in ("minimum", "maximum"):
                if bound in body:
                    self.problem(
                        "policy.fact-bound",
                        f"only integer facts take `{bound}`; `{name}` is {fact_type}",
                        file.where_key((*path, bound)),
                    )

        def bound_of(key: str) -> int | None:
            value = body.get(key)
            return value if file.sound((*path, key)) and isinstance(value, int) else None

        self.facts[name] = Fact(
            name=name,
            type=fact_type,
            label=body.get("label", ""),
            question=body.get("question", ""),
            values=values,
            minimum=bound_of("minimum"),
            maximum=bound_of("maximum"),
            location=where,
        )
        self._fact_sources[name] = (file, path)

    def _check_fact_topics(self, fact: Fact) -> None:
        file, path = self._fact_sources[fact.name]
        for value in fact.values:
            topic_path = (*path, "values", value.name, "topic")
            if value.topic is None or not file.sound(topic_path) or not self.all_topics_known:
                continue
            if value.topic not in self.topics:
                self.problem(
                    "policy.unknown-topic",
                    f"the topic `{value.topic}` is not declared",
                    file.where(topic_path),
                    hint=hint_for(value.topic, self.topics),
                )

    def _fact_conditions(self) -> dict[str, Condition]:
        conditions: dict[str, Condition] = {}
        for name, (file, path) in self._fact_sources.items():
            where = (*path, "relevant_when")
            raw = file.located.data["facts"][name].get("relevant_when")
            if raw == "always":
                conditions[name] = Always(file.where(where))
                continue
            condition = self._condition(raw, file, where)
            if condition is not None:
                conditions[name] = condition
        return conditions

    # --- rules -----------------------------------------------------------------------

    def _rules(self, source_text: str) -> tuple[Rule, ...]:
        rules: list[Rule] = []
        seen: dict[str, Location] = {}
        for file in self.files:
            entries = file.section("rules")
            if not isinstance(entries, list):
                continue
            for index, body in enumerate(entries):
                path: PathKey = ("rules", index)
                if not isinstance(body, dict) or not file.holds(path):
                    continue
                rule = self._rule(file, body, path, seen, source_text)
                if rule is not None:
                    rules.append(rule)
        return tuple(rules)

    def _rule(
        self, file: _File, body: dict[str, Any], path: PathKey, seen: dict[str, Location], source_text: str
    ) -> Rule | None:
        """Check every part of one rule the schema found right; the rule itself when all of it is."""
        if file.sound((*path, "id")):
            rule_id = str(body["id"])
            if rule_id in seen:
                self.problem(
                    "policy.duplicate-rule-id",
                    f"the rule id `{rule_id}` is used twice (first at {seen[rule_id]})",
                    file.where((*path, "id")),
                    hint="every rule needs its own id",
                )
            else:
                seen[rule_id] = file.where((*path, "id"))
        topic = str(body.get("topic"))
        if file.sound((*path, "topic")) and self.all_topics_known and topic not in self.topics:
            self.problem(
                "policy.unknown-topic",
                f"the topic `{topic}` is not declared",
                file.where((*path, "topic")),
                hint=hint_for(topic, self.topics),
            )
        quotes = body.get("source")
        if source_text and file.holds((*path, "source")) and isinstance(quotes, list):
            for q, quote in enumerate(quotes):
                if file.sound((*path, "source", q)) and not is_verbatim(quote, source_text):
                    self.problem(
                        "policy.quote-not-in-source",
                        "this quote is not verbatim in the source text",
                        file.where((*path, "source", q)),
                        hint=mismatch_hint(quote, source_text),
                    )
        when = self._condition(body.get("when"), file, (*path, "when"))
        if when is None or not file.sound(path):
            return None
        return Rule(
            id=body["id"],
            title=body["title"],
            topic=body["topic"],
            outcome=Outcome(body["outcome"]),
            when=when,
            reason=body["reason"],
            quotes=tuple(body["source"]),
            location=file.where(path),
        )

    # --- conditions ------------------------------------------------------------------

    def _condition(self, raw: Any, file: _File, path: PathKey) -> Condition | None:
        """A `when:` mapping; each entry must hold, so several entries are an `all`.
        None when the schema found the mapping itself wrong (what is inside is still checked)."""
        if not isinstance(raw, dict) or not file.holds(path):
            return None
        parts: list[Condition] = []
        for key, value in raw.items():
            at = (*path, key)
            match key:
                case "all" | "any":
                    # all: [cond, ...]   any: [cond, ...]
                    if not isinstance(value, list) or not file.holds(at):
                        continue
                    items = (self._condition(v, file, (*at, i)) for i, v in enumerate(value))
                    checked = tuple(item for item in items if item is not None)
                    parts.append(All(checked, file.where(at)) if key == "all" else AnyOf(checked, file.where(at)))
                case "not":
                    # not: {cond}
                    item = self._condition(value, file, at)
                    if item is not None:
                        parts.append(Not(item, file.where(at)))
                case _:
                    # fact: value   fact: [value, ...]   fact: {more_than: n}
                    test = self._test(key, value, file, at)
                    if test is not None:
                        parts.append(test)
        if len(parts) == 1:
            return parts[0]
        return All(tuple(parts), file.where(path))

    def _test(self, name: str, value: Any, file: _File, path: PathKey) -> Condition | None:
        fact = self.facts.get(name)
        where = file.where(path)
        if fact is None:
            if name not in self.unclear_facts and self.all_facts_known and path not in file.bad_names:
                self.problem(
                    "policy.unknown-fact",
                    f"`{name}` is not a declared fact",
                    file.where_key(path),
                    hint=hint_for(name, [*self.facts, *self.unclear_facts, *_COMBINATORS]),
                )
            return None
        if not file.sound(path):
            return None
        if isinstance(value, dict):
            return self._comparison(fact, value, file, path)
        if isinstance(value, list):
            checked = [self._value(fact, v, file.where((*path, i))) for i, v in enumerate(value)]
            if len(set(map(repr, value))) != len(value):
                self.problem("policy.duplicate-value", f"a value is listed twice for `{name}`", where)
            return OneOf(name, tuple(v for v in checked if v is not None), where)
        checked_value = self._value(fact, value, where)
        return Is(name, checked_value, where) if checked_value is not None else None

    def _comparison(self, fact: Fact, bounds: dict[str, int], file: _File, path: PathKey) -> Condition | None:
        """`fact: {more_than: 30}`, or a range `fact: {more_than: 30, at_most: 45}` (the
        schema allows at most one lower and one upper bound)."""
        if fact.type is not FactType.INTEGER:
            op = next(iter(bounds))
            self.problem(
                "policy.type-mismatch",
                f"`{op}` compares numbers, but `{fact.name}` is {_kind(fact)}",
                file.where_key((*path, op)),
                hint=_value_hint(fact),
            )
            return None
        if len(bounds) == 1:
            ((op, bound),) = bounds.items()
            return Compare(fact.name, op, bound, file.where(path))
        # Lower bound first, however the maintainer ordered the keys.
        ordered = sorted(bounds.items(), key=lambda entry: entry[0] not in LOWER_BOUNDS)
        lower, upper = (Compare(fact.name, op, bound, file.where_key((*path, op))) for op, bound in ordered)
        span = Range((lower, upper), file.where(path))
        low, high = span.span
        if low > high:
            self.problem(
                "policy.empty-range",
                f"no whole number is {_words(lower)} and {_words(upper)}, so `{fact.name}` can never be in this range",
                file.where(path),
                hint=f"a range goes from its lower bound up to its upper bound: did you mean "
                f"`{{{lower.op}: {upper.bound}, {upper.op}: {lower.bound}}}`?"
                if lower.bound > upper.bound
                else "widen the range so that it holds at least one number",
            )
            return None
        return span

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


def _words(comparison: Compare) -> str:
    return f"{comparison.op.replace('_', ' ')} {comparison.bound}"


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
