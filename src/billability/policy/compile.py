"""Compile policy files into a frozen `Policy`.

In: a policy file or folder (every `*.yaml` below it, in sorted order).
Out: a `Policy`, or `Problems` carrying every diagnostic of every file at once:
reading (`file.*`, `yaml.*`), the schema check (`schema.*`) and the meaning of the
policy (`policy.*`: unknown facts and values, type mismatches, duplicate ids, a
range that holds no whole number, quotes that are not verbatim in the source text,
and so on). The conditions of rules and facts are compiled by `compile_conditions`;
`checked_file` says which parts of a file the schema check found wrong.

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
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from billability.model.diagnostics import Diagnostic, Location, Problems, hint_for
from billability.model.policy import (
    Always,
    Condition,
    Fact,
    FactType,
    FactValue,
    Outcome,
    ReviewContact,
    Rule,
    SourceDocument,
    Topic,
)
from billability.model.resources import policy_dir, real_path, shown_path
from billability.policy.checked_file import CheckedFile
from billability.policy.compile_conditions import ConditionCompiler
from billability.policy.compiled import Policy
from billability.policy.quotes import is_verbatim, mismatch_hint, normalize
from billability.policy.schema import POLICY_FILE, violations
from billability.policy.source import Located, PathKey, display_name, iter_yaml_files, read_yaml, read_yaml_file

__all__ = ["compile_texts", "load_policy", "normalize"]


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


def _compile(readers: Sequence[Callable[[], Located]], source_text: str | None = None) -> Policy:
    """Read, schema-check and compile every file; raise every problem of every stage at once."""
    files: list[CheckedFile] = []
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
            CheckedFile(
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
    def __init__(self, files: list[CheckedFile], all_read: bool = True, source_text: str | None = None) -> None:
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
        self.conditions = ConditionCompiler(self.facts, self.unclear_facts, self.all_facts_known, self.problems)
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

    def _policy_section(self) -> CheckedFile | None:
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

    def _dates(self, section: CheckedFile | None) -> None:
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

    def _source(self, section: CheckedFile | None) -> tuple[str, str]:
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
        self._fact_sources: dict[str, tuple[CheckedFile, PathKey]] = {}
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

    def _fact(self, file: CheckedFile, name: str, body: dict[str, Any], path: PathKey) -> None:
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
            condition = self.conditions.condition(raw, file, where)
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
        self, file: CheckedFile, body: dict[str, Any], path: PathKey, seen: dict[str, Location], source_text: str
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
        when = self.conditions.condition(body.get("when"), file, (*path, "when"))
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
