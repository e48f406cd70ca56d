"""The deck format as data: one description that both validates and documents.

``validate.py`` walks these specs to check a deck; :func:`json_schema` turns the
same specs into the JSON Schema that ``demodeck schema`` prints and editors use.
Adding a field means adding one :class:`Field` here and one attribute in model.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif")
VIDEO_SUFFIXES = (".mp4", ".webm")


@dataclass(frozen=True, slots=True)
class Text:
    markdown: bool = False  # rendered as Markdown (block)
    inline: bool = False  # rendered as inline Markdown
    non_empty: bool = True


@dataclass(frozen=True, slots=True)
class Integer:
    minimum: int | None = None


@dataclass(frozen=True, slots=True)
class Number:
    pass


@dataclass(frozen=True, slots=True)
class Date:
    pass


@dataclass(frozen=True, slots=True)
class Url:
    """http(s), mailto or a relative URL; anything else (javascript:, data:...) is refused."""


@dataclass(frozen=True, slots=True)
class ImagePath:
    """A project image, relative to the file that names it."""


@dataclass(frozen=True, slots=True)
class VideoPath:
    """A project video (MP4 or WebM), relative to the file that names it."""


@dataclass(frozen=True, slots=True)
class Slug:
    """A short identifier: lowercase letters and digits, words joined by '-' (flaky-ci)."""

    max_length: int = 40


SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


@dataclass(frozen=True, slots=True)
class Choice:
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ListOf:
    item: Spec
    min_items: int = 0


@dataclass(frozen=True, slots=True)
class MapOf:
    """A mapping with free-form keys (metric names) and values of one spec."""

    value: Spec
    key_pattern: str = r"^[A-Za-z][A-Za-z0-9_ ]*$"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    spec: Spec
    required: bool = False
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Record:
    name: str  # e.g. "demo"; names the model class validate.py builds
    fields: tuple[Field, ...]
    shorthand: Text | None = None  # a bare string is accepted as the first field
    by_name: dict[str, Field] = dataclasses.field(init=False, repr=False, compare=False)
    required: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "required", frozenset(f.name for f in self.fields
                                                       if f.required))

    def field(self, name: str) -> Field | None:
        return self.by_name.get(name)


Spec = (Text | Integer | Number | Date | Url | ImagePath | VideoPath | Slug | Choice | ListOf
        | MapOf | Record)

INLINE = Text(inline=True)
MARKDOWN = Text(markdown=True)

PERSON = Record("person", (
    Field("name", Text(), required=True, doc="Full name, as colleagues know them"),
    Field("role", Text(), doc="e.g. Backend, Design"),
    Field("avatar", ImagePath(), doc="Image path relative to this file; initials otherwise"),
), shorthand=Text())

LINK = Record("link", (
    Field("label", Text(), required=True),
    Field("url", Url(), required=True, doc="http(s), mailto or relative URL"),
))

SCREENSHOT = Record("screenshot", (
    Field("src", ImagePath(), required=True, doc="Image path relative to this file"),
    Field("alt", Text(), required=True, doc="What the image shows, for screen readers"),
))

VIDEO = Record("video", (
    Field("src", VideoPath(), required=True,
          doc="A recording of the demo, MP4 or WebM, relative to this file"),
    Field("poster", ImagePath(),
          doc="Image shown before it plays and in the PDF, relative to this file"),
    Field("caption", INLINE, doc="Shown under the video (inline Markdown)"),
))

DEMO = Record("demo", (
    Field("title", Text(), required=True, doc="What was shipped"),
    Field("team", Text()),
    Field("people", ListOf(PERSON, min_items=1), required=True,
          doc="Who built it: names, or {name, role, avatar} mappings"),
    Field("features", ListOf(INLINE, min_items=1), required=True, doc="Markdown, one per item"),
    Field("why", MARKDOWN, required=True, doc="Why it matters (Markdown)"),
    Field("could_be_better", MARKDOWN, required=True,
          doc="What could we have done better? Feeds the retrospective slide (Markdown)"),
    Field("links", ListOf(LINK)),
    Field("screenshot", SCREENSHOT),
    Field("video", VIDEO, doc="A recording played on the slide, in place of a screenshot"),
    Field("notes", MARKDOWN, doc="Speaker notes (Markdown), shown in the presenter view"),
    Field("minutes", Integer(minimum=1), doc="Timebox in minutes"),
))

EXPERIMENT = Record("experiment", (
    Field("experiment", INLINE, required=True),
    Field("hypothesis", INLINE, required=True),
    Field("result", INLINE, required=True),
    Field("outcome", Choice(("success", "mixed", "failed")), required=True),
))

ACTION = Record("action", (
    Field("what", INLINE, required=True),
    Field("owner", Text()),
    Field("id", Slug(), doc="A short name for the action (flaky-ci), unique across every "
                            "deck, that a later deck's retro.done or retro.dropped names"),
), shorthand=INLINE)

RETRO = Record("retro", (
    Field("went_well", ListOf(INLINE)),
    Field("could_be_better", ListOf(INLINE)),
    Field("actions", ListOf(ACTION), doc="Each stays on later retrospectives until a deck "
                                         "closes it (done or dropped)"),
    Field("done", ListOf(Text()), doc="Earlier decks' open actions done since: each an "
                                      "action's id, or its text"),
    Field("dropped", ListOf(Text()), doc="Earlier decks' open actions given up: each an "
                                         "action's id, or its text"),
))

DECK = Record("deck", (
    Field("title", Text(), doc="Defaults to the site title from demodeck.yaml"),
    Field("date", Date(), doc="Optional; must match the file name"),
    Field("hosts", ListOf(Text())),
    Field("sprint_goals", ListOf(INLINE)),
    Field("demos", ListOf(DEMO, min_items=1), required=True),
    Field("metrics", MapOf(Number()), doc="Numbers that start conversations"),
    Field("experiments", ListOf(EXPERIMENT)),
    Field("retro", RETRO),
))

CONFIG = Record("config", (
    Field("title", Text(), doc="Site title and default deck title"),
    Field("decks_dir", Text(), doc="Folder of decks, relative to demodeck.yaml (default: decks)"),
    Field("output_dir", Text(), doc="Where the site is built (default: site)"),
    Field("base_url", Url(), doc="Absolute URL the site is published at (optional)"),
    Field("language", Text(), doc="HTML lang of the pages (default: en)"),
    Field("demo_day", Choice(("monday", "tuesday", "wednesday", "thursday", "friday",
                              "saturday", "sunday")),
          doc="Weekday of the demo, used by `demodeck new` (default: monday)"),
    Field("max_image_mb", Integer(minimum=1),
          doc="Largest image a deck may show, in MB (default: 20)"),
    Field("max_video_mb", Integer(minimum=1),
          doc="Largest video a deck may play, in MB (default: 100)"),
    Field("follow_actions_from", Date(),
          doc="Retro actions of decks before this date are shown once, on the next "
              "retrospective, and not followed until done (an archive older than that)"),
    Field("extra", ListOf(Text()),
          doc="Files or folders in the output folder, relative to it, that demodeck did "
              "not write and keeps on each build (CNAME, .well-known)"),
))


def _schema(spec: Spec) -> dict[str, Any]:
    match spec:
        case Text():
            return {"type": "string", **({"minLength": 1} if spec.non_empty else {})}
        case Integer():
            return {"type": "integer",
                    **({"minimum": spec.minimum} if spec.minimum is not None else {})}
        case Number():
            return {"type": "number"}
        case Date():
            return {"type": "string", "format": "date"}
        case Url():
            return {"type": "string", "pattern": r"^(https?:|mailto:|[^:]*$|[^:]*[/?#])"}
        case ImagePath():
            return {"type": "string", "pattern": r"(?i)\.(png|jpe?g|gif|webp|avif)$"}
        case VideoPath():
            return {"type": "string", "pattern": r"(?i)\.(mp4|webm)$"}
        case Slug():
            return {"type": "string", "pattern": SLUG_PATTERN, "maxLength": spec.max_length}
        case Choice():
            return {"enum": list(spec.values)}
        case ListOf():
            out: dict[str, Any] = {"type": "array", "items": _schema(spec.item)}
            if spec.min_items:
                out["minItems"] = spec.min_items
            return out
        case MapOf():
            return {"type": "object", "additionalProperties": _schema(spec.value),
                    "propertyNames": {"pattern": spec.key_pattern}}
        case Record():
            return _record_schema(spec)


def _record_schema(record: Record) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for f in record.fields:
        props[f.name] = _schema(f.spec) | ({"description": f.doc} if f.doc else {})
    obj: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    required = [f.name for f in record.fields if f.required]
    if required:
        obj["required"] = required
    if record.shorthand is not None:
        return {"anyOf": [_schema(record.shorthand), obj]}
    return obj


def folder_deck() -> Record:
    """``deck.yaml`` inside a deck folder: like a deck file, but demos are optional."""
    return Record("deck", tuple(Field(f.name, f.spec, False, f.doc) if f.name == "demos" else f
                                for f in DECK.fields))


SCHEMA_KINDS = {
    "deck": ("a deck file, decks/YYYY-MM-DD.yaml", DECK),
    "folder": ("deck.yaml inside a deck folder, decks/YYYY-MM-DD/deck.yaml", folder_deck()),
    "demo": ("one demo file inside a deck folder", DEMO),
}


def json_schema(kind: str = "deck") -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one kind of file, for editors and other tools."""
    title, record = SCHEMA_KINDS[kind]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"demodeck: {title}",
        **_record_schema(record),
    }
