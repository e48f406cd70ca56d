"""The files a deck names, images and videos: checked where the deck names them.

Each must be a regular file inside the project (never a URL, an absolute path or a
way out through ``..`` or a link), within its size limit (``max_image_mb``,
``max_video_mb``; judged from the size alone, so a huge file is never read), of a
supported kind (a video by its first bytes too). Part of stage 2 (:mod:`.validate`),
apart because these are the checks that look at the disk.
"""

from __future__ import annotations

import math
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from demodeck import model, schema
from demodeck.load import Mark, is_inside

if TYPE_CHECKING:
    from demodeck.validate import Ctx


def check_image(value: str, mark: Mark, path: str, ctx: Ctx) -> Any:
    resolved = _media_file(value, mark, path, ctx, _IMAGE, ctx.max_image_mb)
    if not isinstance(resolved, Path):
        return resolved
    return _asset(value, resolved, mark, path, ctx, "image")


def check_video(value: str, mark: Mark, path: str, ctx: Ctx) -> Any:
    """Like an image, and its first bytes must be an MP4's or a WebM's: a browser shows
    nothing for a file that only has the name of a video."""
    resolved = _media_file(value, mark, path, ctx, _VIDEO, ctx.max_video_mb)
    if not isinstance(resolved, Path):
        return resolved
    if resolved not in ctx.unreadable:
        try:
            with resolved.open("rb") as f:
                head = f.read(12)
        except OSError as exc:
            return ctx.error(mark, path, f"cannot read video '{value}': "
                             f"{exc.strerror or exc}")
        kind = video_kind(head)
        if kind is None:
            return ctx.error(mark, path, f"'{value}' is not an MP4 or WebM video (its first "
                             "bytes are not a video's); export the recording as MP4 or WebM")
        if kind != resolved.suffix.lower():
            what = "an MP4" if kind == ".mp4" else "a WebM"
            return ctx.error(mark, path, f"'{value}' holds {what} video; name it "
                             f"{Path(value).stem}{kind}")
    return _asset(value, resolved, mark, path, ctx, "video")


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str  # "image" or "video", as errors call it
    suffixes: tuple[str, ...]
    offered: str  # the suffixes, as an error lists them


_IMAGE = _Kind("image", schema.IMAGE_SUFFIXES,
               ", ".join(s.lstrip(".") for s in schema.IMAGE_SUFFIXES)
               + " (SVG is refused: it can carry scripts)")
_VIDEO = _Kind("video", schema.VIDEO_SUFFIXES,
               " or ".join(s.lstrip(".") for s in schema.VIDEO_SUFFIXES))


def _media_file(value: str, mark: Mark, path: str, ctx: Ctx, kind: _Kind,
                max_mb: int) -> Path | Any:
    """The project file ``value`` names, with a suffix of ``kind`` and at most ``max_mb``;
    INVALID with the problem recorded."""
    found = _project_file(value, mark, path, ctx, kind.name)
    if not isinstance(found, tuple):
        return found
    resolved, size = found
    if resolved.suffix.lower() not in kind.suffixes:
        return ctx.error(mark, path, f"'{value}' is not a supported {kind.name}; "
                         f"use {kind.offered}")
    if size > max_mb * _MB:  # from its size: a huge file is never read
        return ctx.error(mark, path, f"{kind.name} '{value}' is {_size(size)}; {kind.name}s "
                         f"are limited to {max_mb} MB (max_{kind.name}_mb in demodeck.yaml)")
    return resolved


def video_kind(head: bytes) -> str | None:
    """``.webm`` or ``.mp4`` from a file's first 12 bytes (the EBML header of Matroska,
    an ISO box ``ftyp``), None for anything else."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ".webm"
    if head[4:8] == b"ftyp":
        return ".mp4"
    return None


def _project_file(value: str, mark: Mark, path: str, ctx: Ctx,
                  what: str) -> tuple[Path, int] | Any:
    """A regular file inside the project named by ``value`` relative to the file being
    checked, with its size (the file is not read); INVALID with the problem recorded."""
    if re.match(r"^[a-z][a-z0-9+.\-]*:", value, re.I) or value.startswith("//"):
        return ctx.error(mark, path, f"{what}s must be files in the project, not URLs "
                         "(the published deck must work offline)")
    if Path(value).is_absolute():
        return ctx.error(mark, path, "use a path relative to this file, not an absolute path")
    candidate = ctx.base_dir / value
    try:
        resolved = candidate.resolve()
        inside = is_inside(ctx.root, resolved)
        st = resolved.stat() if inside else None
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except (OSError, ValueError, RuntimeError) as exc:  # too long a name, a symlink loop
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return ctx.error(mark, path, f"cannot use this {what} path: {reason}")
    if not inside:
        return ctx.error(mark, path, f"'{value}' points outside the project; "
                         f"keep {what}s inside the project folder")
    if st is None or not stat.S_ISREG(st.st_mode):  # a folder, FIFO or device too
        return ctx.error(mark, path, f"{what} '{value}' does not exist "
                         f"(looked for {_display(ctx.root, candidate)})")
    return resolved, st.st_size


def _asset(value: str, resolved: Path, mark: Mark, path: str, ctx: Ctx, what: str) -> Any:
    if resolved in ctx.unreadable:
        return ctx.error(mark, path, f"cannot read {what} '{value}': "
                         f"{ctx.unreadable[resolved]}")
    return model.Asset(resolved, resolved.relative_to(ctx.root).as_posix())


_MB = 1 << 20


def _size(n: int) -> str:
    """``1.0 GB``, ``20.1 MB``: rounded up, so a size over a limit never reads as the limit."""
    scale, unit = (1 << 30, "GB") if n >= 1 << 30 else (_MB, "MB")
    return f"{math.ceil(n * 10 / scale) / 10:.1f} {unit}"


def _display(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
