"""What every configuration model shares: ConfigError, the ``Table`` base, field types, plain-English errors.

A table model takes the values as TOML gives them: a string is not a list, a bool is not a number,
"8080" is not 8080 (environment variables are converted before, see kiosk.config.core). Unknown keys
are refused. A pydantic ValidationError never leaves this package: ``config_error`` turns it into a
ConfigError with one line per problem, each naming ``[table] key``.
"""
from __future__ import annotations

import json
import os
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar

import annotated_types
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic.fields import FieldInfo


class ConfigError(ValueError):
    """The configuration is wrong; the message names ``[table] key``, one line per problem."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class Table(BaseModel):
    """One TOML table of the config file: strict types, no unknown key, read-only once validated."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    #: the table's name in the config file, used in messages
    table: ClassVar[str] = ""


class Expect:
    """Field metadata: what a value of the wrong type should have been, e.g. ``a list of spans``."""

    def __init__(self, what: str) -> None:
        self.what = what


def _listed(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value  # TOML arrays arrive as lists


def _path(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return Path(value)
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must be a path, not empty text")
        return Path(value.strip())
    return value  # refused below as "must be a path"


def _int_keys(value: Any) -> Any:
    """TOML table keys are strings: ``{ 1 = 3 }`` arrives as {"1": 3}; digit strings become ints."""
    if isinstance(value, Mapping):
        return {int(k) if isinstance(k, str) and k.strip().isdigit() else k: v for k, v in value.items()}
    return value


#: a filesystem path, given as text
PathText = Annotated[Path, BeforeValidator(_path), Expect("a path (text)")]
#: non-empty text, surrounding spaces removed
Text = Annotated[str, annotated_types.MinLen(1), BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v)]


def listed(item: Any, what: str) -> Any:
    """A TOML array of ``item`` kept as a tuple; ``what`` names it in messages (``a list of …``)."""
    return Annotated[tuple[item, ...], BeforeValidator(_listed), Expect(what)]


def numbered(key: Any, value: Any, what: str) -> Any:
    """A TOML table with number keys (``{ 1 = 3, 2 = 4 }``) as a dict of int to ``value``."""
    return Annotated[dict[key, value], BeforeValidator(_int_keys), Expect(what)]


# ---- errors ---------------------------------------------------------------------------------------

_TYPES = {
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "text", "list_type": "a list", "tuple_type": "a list", "set_type": "a list",
    "dict_type": "a table", "model_type": "a table of settings", "model_attributes_type": "a table of settings",
    "is_instance_of": "of the right kind",
}
_BOUNDS = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
           "greater_than": ("more than", "gt"), "less_than": ("less than", "lt")}


def toml_value(value: Any) -> str:
    """A value as it would be written in TOML (for messages)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)


def _kind(value: Any) -> str:
    """What was given instead, for type errors: ``a string ("abc")``, ``the number 5``, ``true``."""
    shown = toml_value(value)
    if isinstance(value, bool):
        return shown
    if isinstance(value, (int, float)):
        return f"the number {shown}"
    shown = f" ({shown})" if len(shown) <= 40 else ""
    if isinstance(value, str):
        return "a string" + shown
    if isinstance(value, (list, tuple)):
        return "a list" + shown
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model class in ``Model``, ``Model | None`` or ``Annotated[Model, …]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, Annotated):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def _bounds(info: FieldInfo | None) -> str | None:
    """``between 1 and 5`` (or ``more than 0 and at most 480``) from a field's limits, if it has both."""
    low = high = None
    for meta in info.metadata if info is not None else ():
        for attr, words in (("ge", "at least"), ("gt", "more than")):
            if getattr(meta, attr, None) is not None:
                low = (words, getattr(meta, attr))
        for attr, words in (("le", "at most"), ("lt", "less than")):
            if getattr(meta, attr, None) is not None:
                high = (words, getattr(meta, attr))
    if low is None or high is None:
        return None
    if low[0] == "at least" and high[0] == "at most":
        return f"between {low[1]} and {high[1]}"
    return f"{low[0]} {low[1]} and {high[0]} {high[1]}"


def _expect(info: FieldInfo | None) -> str | None:
    for meta in info.metadata if info is not None else ():
        if isinstance(meta, Expect):
            return meta.what
    return None


def _text(kind: str, err: dict[str, Any], info: FieldInfo | None) -> str:
    """What is wrong, in plain English; ``info`` is the field when the error is about the field itself."""
    value, ctx = err.get("input"), err.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind == "missing":
        return "is required"
    if kind in _TYPES:
        return f"must be {_expect(info) or _TYPES[kind]}, not {_kind(value)}"
    if kind in _BOUNDS:
        bounds = _bounds(info)
        if bounds is not None:
            return f"must be {bounds}, not {toml_value(value)}"
        word, bound = _BOUNDS[kind]
        return f"must be {word} {ctx.get(bound)}, not {toml_value(value)}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", '"')
        return f"must be {expected}, not {toml_value(value)}"
    if kind in ("string_too_short", "too_short") and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} items"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items"
    message = str(err["msg"]).replace("Input should", "must").replace("String should", "must")
    return message[:1].lower() + message[1:]


def describe(root: type[BaseModel], err: dict[str, Any], tables: Mapping[str, str],
             sources: Mapping[tuple[str, str], str] | None = None) -> str:
    """One plain-English line for one pydantic error of ``root``: ``[table] key: what is wrong``.

    ``tables`` maps the fields of ``root`` that are tables to their names in the file; the other
    fields of ``root`` are ``[kiosk]`` settings. ``sources`` maps (table, key) to where a value came
    from when it was not the file (``KIOSK_PORT``)."""
    loc, kind, value = tuple(err["loc"]), err["type"], err.get("input")
    if loc and loc[0] in tables:
        table, model, rest = tables[loc[0]], _model_of(root.model_fields[loc[0]].annotation), loc[1:]
    else:
        table, model, rest = "kiosk", root, loc
    if not rest:  # the table itself, or a rule across its settings (its message starts with the key)
        return f"[{table}] {_text(kind, err, None)}"
    name = str(rest[0])
    info = model.model_fields.get(name) if model is not None else None
    if kind == "extra_forbidden" and len(rest) == 1:
        if model is root and isinstance(value, Mapping):
            known = ", ".join(sorted(tables.values()))
            return f"[{name}] unknown table (known: {known}; plain settings go at the top or under [kiosk])"
        known = ", ".join(sorted(k for k in model.model_fields if model is not root or k not in tables))
        return f"[{table}] {name}: unknown setting (known: {known})"
    key, inner = name, rest[1:]
    sequence = info is not None and typing.get_origin(info.annotation) in (tuple, list)
    for part in inner:
        if part != "[key]":
            key += f"[{part}]" if isinstance(part, int) and sequence else f".{part}"
    text = _text(kind, err, info if not inner else None)
    if inner and inner[-1] == "[key]":  # a bad key of a table like officer_cards
        key = name + "".join(f".{p}" for p in inner[:-2])
        text = f"key {toml_value(inner[-2])} " + text.split(", not ")[0]
    line = f"[{table}] {key}: {text}"
    source = (sources or {}).get((table, name))
    return f"{line} (from {source})" if source else line


def config_error(root: type[BaseModel], exc: ValidationError, tables: Mapping[str, str],
                 sources: Mapping[tuple[str, str], str] | None = None) -> ConfigError:
    """The ConfigError for a pydantic ValidationError of ``root``: one line per problem."""
    lines: list[str] = []
    for err in exc.errors(include_url=False):
        line = describe(root, err, tables, sources)
        if line not in lines:
            lines.append(line)
    return ConfigError(lines)

