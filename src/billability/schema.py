"""Check located YAML data against the project's JSON Schemas.

In: `Located` data and the name of a schema under `schema/`.
Out: located diagnostics (`schema.<keyword>`), sorted by location; nothing when valid.
`violations` also says which part of the data each one is about (the path of the
value that is wrong, of the key that is unknown or missing, or of the name that is
not allowed), so that later stages can skip only what a violation makes meaningless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from billability.diagnostics import Diagnostic, hint_for
from billability.resources import schema_dir
from billability.source import Located, PathKey

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
        for violation in _diagnose(located, _most_useful(error)):
            found.setdefault(violation.diagnostic, violation)
    return tuple(sorted(found.values(), key=lambda v: v.diagnostic.sort_key()))


def check(located: Located, schema_name: str) -> list[Diagnostic]:
    """Every schema violation in `located`, each at the place it happens."""
    return [violation.diagnostic for violation in violations(located, schema_name)]


def _most_useful(error: ValidationError) -> ValidationError:
    """For `anyOf`/`oneOf`, the branch error that says most; otherwise the error itself."""
    if error.validator in {"anyOf", "oneOf"} and error.context:
        deepest = max(len(e.absolute_path) for e in error.context)
        if deepest > len(error.absolute_path):
            candidates = [e for e in error.context if len(e.absolute_path) == deepest]
            return _most_useful(best_match(candidates) or error)
    return error


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "an empty value"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"`{value}`"


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "boolean": "true or false",
    "number": "a number",
}


def _diagnose(located: Located, error: ValidationError) -> list[Violation]:
    path: PathKey = tuple(error.absolute_path)
    where = located.where(path)
    keyword = str(error.validator)
    schema: Any = error.schema
    expected: Any = error.validator_value
    place = _place(path)

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
        allowed = [str(v) for v in expected]
        return here(
            Diagnostic(
                "schema.enum",
                f"{_describe(error.instance)} is not allowed{place}",
                where,
                hint=hint_for(str(error.instance), allowed),
            )
        )
    if keyword == "type":
        wanted_list = expected if isinstance(expected, list) else [expected]
        words = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in wanted_list)
        hint = None
        if "boolean" in wanted_list and isinstance(error.instance, str):
            hint = "write `true` or `false`"
        return here(
            Diagnostic("schema.type", f"expected {words}, found {_describe(error.instance)}{place}", where, hint)
        )
    if keyword == "pattern":
        return here(
            Diagnostic(
                "schema.pattern",
                f"{_describe(error.instance)} is not a valid name{place}",
                where,
                hint="use lower-case letters, digits and `_` (ids use `-`), starting with a letter",
            )
        )
    if keyword in {"minItems", "minProperties", "minLength"}:
        return here(Diagnostic("schema.empty", f"this must not be empty{place}", where))
    if keyword == "uniqueItems":
        return here(Diagnostic("schema.duplicate", f"a value is listed twice{place}", where))
    if keyword in {"maxProperties", "maxItems"}:
        return here(Diagnostic("schema.too-many", f"too many entries{place}", where))
    if keyword == "const":
        return here(Diagnostic("schema.const", f"expected `{expected}`{place}", where))
    return here(Diagnostic(f"schema.{keyword}", f"{error.message}{place}", where))


def _place(path: tuple[Any, ...]) -> str:
    if not path:
        return ""
    shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return f" (at `{shown}`)"
