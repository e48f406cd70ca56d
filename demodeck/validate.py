"""Stage 2, validate: raw YAML trees → frozen :mod:`demodeck.model` objects.

Walks the specs in :mod:`demodeck.schema`, collecting *every* problem with its
file, line, column and field path (``demos[2].why``) instead of stopping at the
first. A value that fails its check becomes ``INVALID`` and the enclosing
record is not built, so one mistake never hides another.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from demodeck import media, model, schema
from demodeck.errors import Problem
from demodeck.load import (
    Mark,
    Raw,
    RawMap,
    RawScalar,
    RawSeq,
)
from demodeck.schema import Record, Spec
from demodeck.urls import url_is_safe
from demodeck.yaml_hints import quoted


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()


@dataclass(slots=True)
class Ctx:
    """Where we are: the file being checked, the project root, and the problems so far."""

    file: str  # project-relative, for messages
    base_dir: Path  # image paths are relative to the file that names them
    root: Path  # resolved project root; nothing outside it may be read
    problems: list[Problem]
    max_image_mb: int = model.MAX_IMAGE_MB  # larger images are refused
    # images that could not be read when rendered, each with why (see unreadable_images)
    unreadable: Mapping[Path, str] = dataclasses.field(default_factory=dict)
    max_video_mb: int = model.MAX_VIDEO_MB  # and larger videos
    # whether a text may hold a character YAML refuses written raw (see _CONTROL): only an
    # escape in double quotes ("\0") writes one, so a file without a backslash holds none
    escapes: bool = True

    def error(self, mark: Mark, field_path: str, message: str) -> Any:
        self.problems.append(Problem(self.file, mark.line, mark.column, message, field_path))
        return INVALID


def describe(raw: Raw) -> str:
    if isinstance(raw, RawSeq):
        return "a list"
    if isinstance(raw, RawMap):
        return "a mapping"
    value = raw.value
    if value is None:
        return "nothing (the value is empty)"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, dt.date):
        return f"a date ({value})"
    return "text"


_WANTS = {
    schema.Text: "text", schema.Integer: "a whole number", schema.Number: "a number",
    schema.Date: "a date (YYYY-MM-DD)", schema.Url: "a URL", schema.ImagePath: "an image path",
    schema.VideoPath: "a video path", schema.Slug: "a short name (flaky-ci)",
    schema.Choice: "one of the listed words", schema.ListOf: "a list",
    schema.MapOf: "a mapping", schema.Record: "a mapping",
}


def _wrong_type(spec: Spec, raw: Raw, path: str, ctx: Ctx) -> Any:
    hint = ""
    if isinstance(spec, schema.ListOf) and not isinstance(raw, RawSeq):
        hint = "; write it as a list, one '- item' per line"
    elif isinstance(spec, schema.Text) and isinstance(raw, RawScalar) and raw.value is not None:
        hint = "; put it in quotes to make it text"
    elif isinstance(spec, schema.Text) and isinstance(raw, RawMap):
        hint = _pair_hint(raw, path)
    return ctx.error(raw.mark, path, f"expected {_WANTS[type(spec)]}, got {describe(raw)}{hint}")


def _pair_hint(raw: RawMap, path: str) -> str:
    """``- Retries: three attempts``: text that YAML read as a name and its value, because
    of the ': ' in it; the writer needs to know why, and what to type instead."""
    if len(raw.entries) != 1:
        return ""
    key, (key_mark, value) = next(iter(raw.entries.items()))
    if key_mark != raw.mark or not isinstance(value, RawScalar) or (
            value.mark.line != key_mark.line):  # "{a: 1}", or a value on lines below
        return ""
    text = value.value
    form = ""
    if text is None or isinstance(text, str):  # a number or date may be written otherwise
        written = quoted(f"{key}: {text}" if text is not None else f"{key}:")
        if written is not None:
            form = f": {'-' if path.endswith(']') else path.rsplit('.', 1)[-1] + ':'} {written}"
    return (f": the ': ' after '{key}' makes YAML read a 'key: value' pair; "
            f"put the whole text in quotes{form}")


def convert(spec: Spec, raw: Raw, path: str, ctx: Ctx) -> Any:
    """Check ``raw`` against ``spec``; returns the plain value or INVALID (problem recorded)."""
    return _CHECKS[type(spec)](spec, raw, path, ctx)  # a deck file has ~300 values


# What XML 1.0 cannot carry even escaped (the Atom feed would stop parsing), and what
# HTML parsers drop or replace: C0 controls but tab, newline and CR; surrogates; U+FFFE/F.
# YAML refuses them written raw, but a double-quoted "\0" or "\e" escape gets them through.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _control_error(control: re.Match[str], raw: RawScalar, path: str, ctx: Ctx) -> Any:
    return ctx.error(raw.mark, path, f"contains the control character "
                     f"U+{ord(control.group()):04X}, which a page cannot show; remove it")


def _check_text(spec: schema.Text, raw: Raw, path: str, ctx: Ctx) -> Any:
    """Text, the spec of most values."""
    if not isinstance(raw, RawScalar) or not isinstance(raw.value, str):
        return _wrong_type(spec, raw, path, ctx)
    value = raw.value
    if ctx.escapes and (control := _CONTROL.search(value)):
        return _control_error(control, raw, path, ctx)
    if spec.non_empty and not value.strip():
        return ctx.error(raw.mark, path, "must not be empty")
    return value


def _check_other_scalar(spec: Spec, raw: Raw, path: str, ctx: Ctx) -> Any:
    if not isinstance(raw, RawScalar):
        return _wrong_type(spec, raw, path, ctx)
    return _check_scalar(spec, raw, path, ctx)


def _check_scalar(spec: Spec, raw: RawScalar, path: str, ctx: Ctx) -> Any:
    value = raw.value
    match spec:
        case (schema.Url() | schema.ImagePath() | schema.VideoPath() | schema.Slug()
              | schema.Choice()):  # Text: _check_text
            if not isinstance(value, str):
                return _wrong_type(spec, raw, path, ctx)
            if ctx.escapes and (control := _CONTROL.search(value)):
                return _control_error(control, raw, path, ctx)
            if isinstance(spec, schema.Url):
                return _check_url(value, raw.mark, path, ctx)
            if isinstance(spec, schema.ImagePath):
                return media.check_image(value, raw.mark, path, ctx)
            if isinstance(spec, schema.VideoPath):
                return media.check_video(value, raw.mark, path, ctx)
            if isinstance(spec, schema.Slug):
                return _check_slug(spec, value, raw.mark, path, ctx)
            if isinstance(spec, schema.Choice) and value not in spec.values:
                return ctx.error(raw.mark, path, f"'{value}' is not one of: "
                                 + ", ".join(spec.values) + _suggest(value, spec.values))
            return value
        case schema.Integer():
            if isinstance(value, bool) or not isinstance(value, int):
                return _wrong_type(spec, raw, path, ctx)
            if spec.minimum is not None and value < spec.minimum:
                return ctx.error(raw.mark, path, f"must be at least {spec.minimum}")
            return value
        case schema.Number():
            if isinstance(value, bool) or not isinstance(value, int | float):
                return _wrong_type(spec, raw, path, ctx)
            if value != value or value in (float("inf"), float("-inf")):
                return ctx.error(raw.mark, path, "must be a finite number")
            return value
        case schema.Date():
            if isinstance(value, str):  # "2026-11-23" in quotes is still a date to a person
                with contextlib.suppress(ValueError):
                    value = dt.date.fromisoformat(value.strip())
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                return _wrong_type(spec, raw, path, ctx)
            return value
    raise AssertionError(f"unhandled spec {spec!r}")  # pragma: no cover


def _check_url(value: str, mark: Mark, path: str, ctx: Ctx) -> Any:
    if not url_is_safe(value):
        return ctx.error(mark, path, "only http(s), mailto and relative links are allowed")
    return value.strip()


def _check_slug(spec: schema.Slug, value: str, mark: Mark, path: str, ctx: Ctx) -> Any:
    if re.fullmatch(schema.SLUG_PATTERN, value) and len(value) <= spec.max_length:
        return value
    slug = "-".join(re.findall(r"[a-z0-9]+", value.casefold()))[:spec.max_length].strip("-")
    hint = f" (did you mean '{slug}'?)" if slug and slug != value else ""
    return ctx.error(mark, path, f"'{value}' is not a short name: use lowercase letters, "
                     f"digits and '-', up to {spec.max_length} characters{hint}")


def _check_list(spec: schema.ListOf, raw: Raw, path: str, ctx: Ctx) -> Any:
    if not isinstance(raw, RawSeq):
        if isinstance(raw, RawScalar) and raw.value is None and spec.min_items:
            return ctx.error(raw.mark, path, f"needs at least {spec.min_items} item"
                             + ("s" if spec.min_items > 1 else ""))
        return _wrong_type(spec, raw, path, ctx)
    if len(raw.items) < spec.min_items:
        return ctx.error(raw.mark, path, "is empty; list at least one item"
                         if spec.min_items == 1 else f"needs at least {spec.min_items} items")
    values = [convert(spec.item, item, f"{path}[{i}]", ctx) for i, item in enumerate(raw.items)]
    return INVALID if any(v is INVALID for v in values) else tuple(values)


def _check_map(spec: schema.MapOf, raw: Raw, path: str, ctx: Ctx) -> Any:
    if not isinstance(raw, RawMap):
        return _wrong_type(spec, raw, path, ctx)
    out: dict[str, Any] = {}
    for key, (key_mark, value_raw) in raw.entries.items():
        if not re.fullmatch(spec.key_pattern, key):  # "$" alone lets "name\n" through
            ctx.error(key_mark, f"{path}.{key}", "names may use letters, digits, spaces and _")
            out[key] = INVALID
            continue
        out[key] = convert(spec.value, value_raw, f"{path}.{key}", ctx)
    return INVALID if any(v is INVALID for v in out.values()) else out


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    import difflib  # only a deck with a mistake needs it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def check_record(record: Record, raw: Raw, path: str, ctx: Ctx) -> Any:
    """Check a mapping field by field; returns a model object built by BUILDERS."""
    if record.shorthand is not None and isinstance(raw, RawScalar) and raw.value is not None:
        first = convert(record.shorthand, raw, path, ctx)
        return INVALID if first is INVALID else BUILDERS[record.name]({record.fields[0].name:
                                                                       first})
    if not isinstance(raw, RawMap):
        return _wrong_type(record, raw, path, ctx)
    values = check_fields(record, raw, path, ctx)
    if values is INVALID:
        return INVALID
    if record.name == "demo" and "screenshot" in values and "video" in values:
        return ctx.error(raw.entries["video"][0], _join(path, "video"), "a demo shows a "
                         "screenshot or a video, not both; make the screenshot the video's "
                         "poster (video: {src: ..., poster: ...})")
    return BUILDERS[record.name](values)


def check_fields(record: Record, raw: RawMap, path: str, ctx: Ctx) -> Any:
    """The field-by-field part of a record check: a dict of plain values, or INVALID."""
    values, ok = field_values(record, raw, path, ctx)
    return values if ok else INVALID


def field_values(record: Record, raw: RawMap, path: str,
                 ctx: Ctx) -> tuple[dict[str, Any], bool]:
    """Every valid field's value, and whether all fields were valid (problems recorded)."""
    values: dict[str, Any] = {}
    ok = True
    entries = raw.entries
    if not entries.keys() <= record.by_name.keys():  # a field the record does not have
        for key, (key_mark, _) in entries.items():
            if record.field(key) is None:
                names = [f.name for f in record.fields]
                ctx.error(key_mark, _join(path, key),
                          f"unknown field '{key}'{_suggest(key, names)}")
                ok = False
    for f in record.fields:
        entry = entries.get(f.name)
        if entry is None or (isinstance(entry[1], RawScalar) and entry[1].value is None
                             and not isinstance(f.spec, schema.ListOf)):
            if f.required:
                where = raw.mark if entry is None else entry[1].mark
                what = "missing required field" if entry is None else "empty required field"
                ctx.error(where, path, f"{what} '{f.name}'")
                ok = False
            continue
        value = convert(f.spec, entry[1], _join(path, f.name), ctx)
        if value is INVALID:
            ok = False
        else:
            values[f.name] = value
    return values, ok


_CHECKS: dict[type, Callable[[Any, Raw, str, Ctx], Any]] = {
    schema.Text: _check_text,
    schema.Record: check_record,
    schema.ListOf: _check_list,
    schema.MapOf: _check_map,
    schema.Integer: _check_other_scalar,
    schema.Number: _check_other_scalar,
    schema.Date: _check_other_scalar,
    schema.Url: _check_other_scalar,
    schema.ImagePath: _check_other_scalar,
    schema.VideoPath: _check_other_scalar,
    schema.Slug: _check_other_scalar,
    schema.Choice: _check_other_scalar,
}


# -- building model objects from checked values ---------------------------------------------

def _person(v: dict[str, Any]) -> model.Person:
    return _person_of(v["name"], v.get("role"), v.get("avatar"))


@functools.lru_cache(maxsize=4096)
def _person_of(name: str, role: str | None, avatar: model.Asset | None) -> model.Person:
    """One object for a person in all the demos and decks they are in, as they wrote it:
    the same people demo week after week (a Person is frozen, equal by its fields)."""
    return model.Person(" ".join(name.split()), role, avatar)


def _demo(v: dict[str, Any]) -> model.Demo:
    return model.Demo(id="", title=v["title"].strip(), people=v["people"],
                      features=v["features"], why=v["why"], could_be_better=v["could_be_better"],
                      team=v.get("team"), links=v.get("links", ()),
                      screenshot=v.get("screenshot"), notes=v.get("notes"),
                      minutes=v.get("minutes"), video=v.get("video"))


def _retro(v: dict[str, Any]) -> model.Retro:
    return model.Retro(went_well=v.get("went_well", ()),
                       could_be_better=v.get("could_be_better", ()),
                       actions=v.get("actions", ()), done=v.get("done", ()),
                       dropped=v.get("dropped", ()))


BUILDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "person": _person,
    "link": lambda v: model.Link(label=v["label"], url=v["url"]),
    "screenshot": lambda v: model.Screenshot(src=v["src"], alt=v["alt"]),
    "video": lambda v: model.Video(src=v["src"], poster=v.get("poster"),
                                   caption=v.get("caption")),
    "demo": _demo,
    "experiment": lambda v: model.Experiment(**v),
    "action": lambda v: model.Action(what=v["what"], owner=v.get("owner"), id=v.get("id")),
    "retro": _retro,
    "deck": lambda v: v,  # assembled by validate_deck, which knows the file name
    "config": lambda v: v,
}
