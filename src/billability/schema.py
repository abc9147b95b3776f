"""Check located YAML data against the project's JSON Schemas.

In: `Located` data and the name of a schema under `schema/`.
Out: located diagnostics (`schema.<keyword>`), sorted by location; nothing when valid.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, cast

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from billability.diagnostics import Diagnostic, hint_for
from billability.resources import schema_dir
from billability.source import Located

POLICY_FILE = "policy-file.schema.json"
CORPUS_FILE = "corpus-file.schema.json"


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((schema_dir() / name).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def check(located: Located, schema_name: str) -> list[Diagnostic]:
    """Every schema violation in `located`, each at the place it happens."""
    validator = _validator(schema_name)
    diagnostics: list[Diagnostic] = []
    for error in validator.iter_errors(located.data):
        diagnostics.extend(_diagnose(located, _most_useful(error)))
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


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


def _diagnose(located: Located, error: ValidationError) -> list[Diagnostic]:
    # The stubs type these attributes loosely (`Unset`, `bool`); by here they hold the schema's values.
    schema: Any = error.schema
    validator_value: Any = error.validator_value
    path = tuple(error.absolute_path)
    where = located.where(path)
    keyword = str(error.validator)
    place = _place(path)
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted((schema.get("properties") or {}).keys())
        extra = [k for k in error.instance if k not in allowed]
        return [
            Diagnostic(
                "schema.unknown-key",
                f"`{key}` is not a known key{place}",
                located.where_key((*path, key)),
                hint=hint_for(key, allowed) if allowed else None,
            )
            for key in extra
        ]
    if keyword == "required":
        missing = [k for k in validator_value if k not in cast(Any, error.instance)]
        return [Diagnostic("schema.required", f"`{key}` is missing{place}", where) for key in missing]
    if keyword == "enum":
        allowed = [str(v) for v in validator_value]
        return [
            Diagnostic(
                "schema.enum",
                f"{_describe(error.instance)} is not allowed{place}",
                where,
                hint=hint_for(str(error.instance), allowed),
            )
        ]
    if keyword == "type":
        wanted = validator_value
        wanted_list = wanted if isinstance(wanted, list) else [wanted]
        words = " or ".join(str(_TYPE_WORDS.get(w, w)) for w in wanted_list)
        hint = None
        if "boolean" in wanted_list and isinstance(error.instance, str):
            hint = "write `true` or `false`"
        return [Diagnostic("schema.type", f"expected {words}, found {_describe(error.instance)}{place}", where, hint)]
    if keyword == "pattern":
        return [
            Diagnostic(
                "schema.pattern",
                f"{_describe(error.instance)} is not a valid name{place}",
                where,
                hint="use lower-case letters, digits and `_` (ids use `-`), starting with a letter",
            )
        ]
    if keyword == "propertyNames":
        return [
            Diagnostic(
                "schema.name",
                f"{_describe(error.instance)} cannot be used as a name{place}",
                where,
                hint="use lower-case letters, digits and `_`, starting with a letter; `all`, `any`, `not` and `always` are reserved",
            )
        ]
    if keyword in {"minItems", "minProperties", "minLength"}:
        return [Diagnostic("schema.empty", f"this must not be empty{place}", where)]
    if keyword == "uniqueItems":
        return [Diagnostic("schema.duplicate", f"a value is listed twice{place}", where)]
    if keyword in {"maxProperties", "maxItems"}:
        return [Diagnostic("schema.too-many", f"too many entries{place}", where)]
    if keyword == "const":
        return [Diagnostic("schema.const", f"expected `{validator_value}`{place}", where)]
    return [Diagnostic(f"schema.{keyword}", f"{error.message}{place}", where)]


def _place(path: tuple[Any, ...]) -> str:
    if not path:
        return ""
    shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return f" (at `{shown}`)"
