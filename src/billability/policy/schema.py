"""Check located YAML data against the project's JSON Schemas.

In: `Located` data and the name of a schema under `schema/`.
Out: located diagnostics (`schema.<keyword>`), sorted by location; nothing when valid.
`violations` also says which part of the data each one is about (the path of the
value that is wrong, of the key that is unknown or missing, or of the name that is
not allowed), so that later stages can skip only what a violation makes meaningless.

Messages are in the maintainer's words, never the schema library's: a value is quoted
as YAML writes it (`yamlish`: `{more_than: 30}`, `true`, `~`), a value that fits none
of an `anyOf`'s forms is told the forms, and otherwise the form it was meant for
speaks; a schema's `title` and `description` (the editor's hover text) name what a
pattern wants and serve as hints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from billability.model.diagnostics import Diagnostic, hint_for, one_of
from billability.model.resources import schema_dir
from billability.policy.source import Located, PathKey

POLICY_FILE = "policy-file.schema.json"
CORPUS_FILE = "corpus-file.schema.json"


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((schema_dir() / name).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@dataclass(frozen=True, slots=True)
class Violation:
    """A schema diagnostic and the path of the part of the data it is about: the wrong
    value, or the key that is unknown, missing or not allowed as a name."""

    path: PathKey
    diagnostic: Diagnostic


def violations(located: Located, schema_name: str) -> tuple[Violation, ...]:
    """Every schema violation in `located`, each at the place it happens, sorted by location."""
    validator = _validator(schema_name)
    found: dict[Diagnostic, Violation] = {}
    for error in validator.iter_errors(located.data):
        for violation in _diagnose(located, error):
            found.setdefault(violation.diagnostic, violation)
    return tuple(sorted(found.values(), key=lambda v: v.diagnostic.sort_key()))


def check(located: Located, schema_name: str) -> list[Diagnostic]:
    """Every schema violation in `located`, each at the place it happens."""
    return [violation.diagnostic for violation in violations(located, schema_name)]


def _most_useful(error: ValidationError) -> tuple[ValidationError, ValidationError | None]:
    """For `anyOf`/`oneOf`, the error of the branch the value was meant for, with the
    `anyOf` it came from when that branch speaks of the value itself (so the `anyOf`'s
    description can serve as a hint); otherwise the error itself.

    The value was meant for the branches whose shape it has (a mapping for a branch
    of mappings, text for `const: always`); among their errors the deepest says most
    (`more_than: fourteen` is a wrong number, not a wrong condition). When no branch
    has the value's shape, the `anyOf` itself is the error: a value of the wrong type."""
    if error.validator not in {"anyOf", "oneOf"} or not error.context:
        return error, None
    branches: dict[Any, list[ValidationError]] = {}
    for branch_error in error.context:
        branches.setdefault(branch_error.relative_schema_path[0], []).append(branch_error)
    fitting = [e for found in branches.values() if not any(_wrong_shape(e, error) for e in found) for e in found]
    if not fitting:
        return error, None
    deepest = max(len(e.absolute_path) for e in fitting)
    chosen = best_match([e for e in fitting if len(e.absolute_path) == deepest]) or fitting[0]
    inner, parent = _most_useful(chosen)
    if parent is None and len(inner.absolute_path) == len(error.absolute_path):
        parent = error
    return inner, parent


def _wrong_shape(branch_error: ValidationError, parent: ValidationError) -> bool:
    """Whether a branch's error says the value has another shape than the branch wants."""
    if len(branch_error.absolute_path) != len(parent.absolute_path):
        return False
    if branch_error.validator == "type":
        return True
    if branch_error.validator in {"const", "enum"}:
        given: Any = branch_error.validator_value
        allowed = [given] if branch_error.validator == "const" else list(given)
        return all(_kind(value) != _kind(branch_error.instance) for value in allowed)
    return False


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null" if value is None else "string"


def _shapes(error: ValidationError) -> list[str]:
    """What the branches of an `anyOf` want, in words, in their order, each once."""
    words: list[str] = []
    for branch_error in error.context or []:
        if len(branch_error.absolute_path) != len(error.absolute_path):
            continue
        if branch_error.validator == "type":
            wanted = branch_error.validator_value
            for name in wanted if isinstance(wanted, list) else [wanted]:
                words.append(_TYPE_WORDS.get(str(name), str(name)))
        elif branch_error.validator == "const":
            words.append(f"`{yamlish(branch_error.validator_value)}`")
        elif branch_error.validator == "enum":
            listed: Any = branch_error.validator_value
            words += [f"`{yamlish(value)}`" for value in listed]
    return list(dict.fromkeys(words))


def yamlish(value: Any, limit: int = 60) -> str:
    """A value as a maintainer would write it in YAML's flow style (`{more_than: 30}`,
    `[phone, video]`, `true`, `~`), or `...` at the end when it runs longer than `limit`."""
    text = _flow(value)
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _flow(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "~"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(key)}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    text = str(value)
    return " ".join(text.split()) if "\n" in text else text


def _describe(value: Any) -> str:
    """A value as a message quotes it: short values written out, long ones by their shape."""
    if value is None:
        return "an empty value"
    if isinstance(value, str) and not value.strip():
        return "blank text"
    if isinstance(value, (dict, list)) and not value:
        return "an empty mapping" if isinstance(value, dict) else "an empty list"
    text = yamlish(value)
    if isinstance(value, (dict, list)) and text.endswith("..."):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"`{text}`"


def _as_hint(description: Any) -> str | None:
    """A schema's `description` (the editor's hover text) as a hint."""
    if not isinstance(description, str) or not description:
        return None
    return description[:1].lower() + description[1:].rstrip(".")


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "boolean": "true or false",
    "number": "a number",
    "null": "an empty value (`~`)",
}


def _joined(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    # Words that hold an "or" of their own ("true or false") are kept apart by commas.
    last = ", or " if any(" or " in word for word in words) else " or "
    return ", ".join(words[:-1]) + last + words[-1]


def _diagnose(located: Located, found: ValidationError) -> list[Violation]:
    error, parent = _most_useful(found)
    path: PathKey = tuple(error.absolute_path)
    where = located.where(path)
    keyword = str(error.validator)
    schema: Any = error.schema
    expected: Any = error.validator_value
    place = _place(path)
    # The description of the `anyOf` the value is checked against, when it says what the value may be.
    enclosing: Any = parent.schema if parent is not None else {}
    general = _as_hint(enclosing.get("description"))

    def here(diagnostic: Diagnostic) -> list[Violation]:
        return [Violation(path, diagnostic)]

    if "propertyNames" in error.schema_path and isinstance(error.instance, str):
        name = error.instance
        return [
            Violation(
                (*path, name),
                Diagnostic(
                    "schema.name",
                    f"`{name}` cannot be used as a name{place}",
                    located.where_key((*path, name)),
                    hint="use lower-case letters, digits and `_`, starting with a letter; `all`, `any`, `not` and `always` are reserved",
                ),
            )
        ]
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted((schema.get("properties") or {}).keys())
        extra = [k for k in error.instance if k not in allowed]
        return [
            Violation(
                (*path, key),
                Diagnostic(
                    "schema.unknown-key",
                    f"`{key}` is not a known key{place}",
                    located.where_key((*path, key)),
                    hint=hint_for(key, allowed) if allowed else None,
                ),
            )
            for key in extra
        ]
    if keyword == "required":
        given: Any = error.instance
        missing = [k for k in expected if k not in given]
        return [
            Violation((*path, key), Diagnostic("schema.required", f"`{key}` is missing{place}", where))
            for key in missing
        ]
    if keyword == "enum":
        allowed = [yamlish(v) for v in expected]
        return here(
            Diagnostic(
                "schema.enum",
                f"{_describe(error.instance)} is not allowed{place}",
                where,
                hint=hint_for(yamlish(error.instance), allowed) if isinstance(error.instance, str) else one_of(allowed),
            )
        )
    if keyword == "type" or (keyword in {"anyOf", "oneOf"} and _shapes(error)):
        # A value of the wrong shape: for an `anyOf`, of none of the shapes its branches take.
        if keyword == "type":
            wanted_list = expected if isinstance(expected, list) else [expected]
            words = _joined([_TYPE_WORDS.get(str(w), str(w)) for w in wanted_list])
            hint = general
        else:
            wanted_list = []
            words = _joined(_shapes(error))
            hint = _as_hint(schema.get("description"))
        if "boolean" in wanted_list and isinstance(error.instance, str):
            hint = "write `true` or `false`"
        elif wanted_list == ["string"] and isinstance(error.instance, (int, float, bool)):
            hint = f'put it in quotes: `"{yamlish(error.instance)}"`'
        return here(
            Diagnostic("schema.type", f"expected {words}, found {_describe(error.instance)}{place}", where, hint)
        )
    if keyword == "oneOf":
        return here(Diagnostic("schema.oneOf", f"this fits more than one of the forms allowed here{place}", where))
    if keyword == "pattern":
        # Each pattern of the schemas has a title that names what it matches ("a date
        # written YYYY-MM-DD") and a description that says how to write one.
        title = schema.get("title") or "written as this place requires"
        return here(
            Diagnostic(
                "schema.pattern",
                f"{_describe(error.instance)} is not {title}{place}",
                where,
                hint=_as_hint(schema.get("description")),
            )
        )
    if keyword in {"minItems", "minProperties", "minLength"}:
        return here(Diagnostic("schema.empty", f"this must not be empty{place}", where, general))
    if keyword == "uniqueItems":
        return here(Diagnostic("schema.duplicate", f"a value is listed twice{place}", where))
    if keyword in {"maxProperties", "maxItems"}:
        return here(Diagnostic("schema.too-many", f"too many entries{place}", where, general))
    if keyword == "const":
        return here(
            Diagnostic(
                "schema.const",
                f"expected `{yamlish(expected)}`, found {_describe(error.instance)}{place}",
                where,
                general,
            )
        )
    if keyword == "not" and isinstance(expected, dict) and isinstance(error.instance, dict):
        together = [key for key in expected.get("required", ()) if key in error.instance]
        if len(together) > 1:
            return here(
                Diagnostic(
                    "schema.not-together",
                    f"{' and '.join(f'`{key}`' for key in together)} cannot both be given{place}",
                    located.where_key((*path, together[-1])),
                    _as_hint(schema.get("description")) or "keep one of them",
                )
            )
    if keyword in {"minimum", "maximum"}:
        side = "less" if keyword == "minimum" else "more"
        return here(
            Diagnostic(f"schema.{keyword}", f"this cannot be {side} than {yamlish(expected)}{place}", where, general)
        )
    # Every keyword the project's schemas use has its words above; an unforeseen one
    # still speaks plainly and keeps the keyword in its code.
    return here(
        Diagnostic(f"schema.{keyword}", f"{_describe(error.instance)} is not allowed here{place}", where, general)
    )


def _place(path: tuple[Any, ...]) -> str:
    if not path:
        return ""
    shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return f" (at `{shown}`)"
