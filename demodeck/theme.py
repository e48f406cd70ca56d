"""Where templates and static files come from: the user's ``templates/`` first, then ours.

The built-in theme is also reachable under the ``!theme/`` prefix, so a user's
``templates/deck.html`` can ``{% extends "!theme/deck.html" %}`` and override a
single block instead of copying the whole file. Static files are overridden
the same way, file by file, from ``templates/static/``.
"""

from __future__ import annotations

import errno
import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from demodeck.errors import BuildError, Problem, reason
from demodeck.load import is_inside

if TYPE_CHECKING:  # Jinja is imported when a page is rendered, not for the no-change check
    import jinja2

THEME_PREFIX = "!theme"
PREVIEW_SCRIPT = "preview.js"  # static/preview.js: served by `demodeck serve`, never built


@functools.lru_cache(maxsize=1)
def builtin_dir() -> Path:
    """The built-in theme: inside the installed wheel, or the checkout's top-level folder."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "deck.html").is_file():
            return candidate
    raise RuntimeError("demodeck's built-in templates are missing; reinstall demodeck")


def user_dir(project_root: Path) -> Path:
    return project_root / "templates"


def loader(project_root: Path) -> jinja2.BaseLoader:
    import jinja2

    refuse_outside_links(project_root)
    builtin = jinja2.FileSystemLoader(builtin_dir())
    loaders: list[jinja2.BaseLoader] = []
    if user_dir(project_root).is_dir():
        loaders.append(jinja2.FileSystemLoader(user_dir(project_root)))
    loaders.append(jinja2.PrefixLoader({THEME_PREFIX: builtin}, delimiter="/"))
    loaders.append(builtin)
    return jinja2.ChoiceLoader(loaders)


def template_origin(project_root: Path, name: str) -> str:
    """Which file a template name resolves to, as a path to show in messages."""
    user = user_dir(project_root) / name
    if user.is_file():
        return f"templates/{name}"
    return f"{{built-in theme}}/{name.removeprefix(THEME_PREFIX + '/')}"


def static_files(project_root: Path) -> dict[str, Path]:
    """Theme static files by name (POSIX, relative to static/); the user's win. The
    preview's script is not one of them: `demodeck build` output never carries it."""
    files: dict[str, Path] = {}
    for base in (builtin_dir() / "static", user_dir(project_root) / "static"):
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    files[path.relative_to(base).as_posix()] = path
    files.pop(PREVIEW_SCRIPT, None)
    return files


def preview_script(project_root: Path) -> bytes:
    """The live-reload script `demodeck serve` adds to its pages: the project's
    ``templates/static/preview.js`` if it has a readable one inside the project, else ours.
    Never an error: the build reports a bad templates file, and meanwhile the pages keep
    a script that shows that problem and reloads once it is fixed."""
    user = user_dir(project_root) / "static" / PREVIEW_SCRIPT
    try:
        real = user.resolve()
        if user.is_file() and is_inside(project_root.resolve(), real):
            return real.read_bytes()
    except (OSError, RuntimeError):  # RuntimeError: Python 3.11's word for a link loop
        pass
    return (builtin_dir() / "static" / PREVIEW_SCRIPT).read_bytes()


def template_files(project_root: Path) -> list[Path]:
    """Every file that can change the output, for cache keys and the preview's watcher."""
    out: list[Path] = []
    for base in (builtin_dir(), user_dir(project_root)):
        if base.is_dir():
            out.extend(p for p in sorted(base.rglob("*")) if p.is_file())
    return out


def refuse_outside_links(project_root: Path) -> None:
    """Raise BuildError if ``templates/`` (or a file or folder in it) is a link that leads
    out of the project. Templates are code (see SECURITY.md): only files of the project,
    reviewed with it, may be one."""
    base = user_dir(project_root)
    if not base.is_dir():
        return
    real_root = project_root.resolve()
    problems: list[Problem] = []
    if base.is_symlink():
        _check_link(project_root, real_root, base, problems)
    if not problems:
        _check_folder(project_root, real_root, base, problems)
    if problems:
        raise BuildError(problems)


def _check_folder(root: Path, real_root: Path, folder: Path, problems: list[Problem]) -> None:
    try:
        with os.scandir(folder) as scan:
            entries = list(scan)
    except OSError as exc:
        problems.append(Problem(_shown(root, folder), 0, 0,
                                f"cannot read this folder ({reason(exc)})"))
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink():
            _check_link(root, real_root, path, problems)
        elif entry.is_dir():
            _check_folder(root, real_root, path, problems)


def _check_link(root: Path, real_root: Path, link: Path, problems: list[Problem]) -> None:
    target = _target(link)
    if target is None:
        problems.append(Problem(_shown(root, link), 0, 0, "is a symbolic link that loops"))
    elif not is_inside(real_root, target):
        try:
            what = "folder" if target.is_dir() else "file"
        except OSError:
            what = "file"
        problems.append(Problem(_shown(root, link), 0, 0,
                                f"is a link to a {what} outside the project; templates are "
                                f"code: copy the {what} into the project instead"))


def _target(link: Path) -> Path | None:
    """Where a link leads, even if nothing is there; None if it loops."""
    try:
        return link.resolve(strict=True)
    except RuntimeError:  # Python 3.11's word for a loop
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None
    try:
        return link.resolve()  # nothing there, or not ours to look at: where it would be
    except (OSError, RuntimeError):
        return None


def _shown(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
