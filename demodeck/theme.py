"""Where templates and static files come from: the user's ``templates/`` first, then ours.

The built-in theme is also reachable under the ``!theme/`` prefix, so a user's
``templates/deck.html`` can ``{% extends "!theme/deck.html" %}`` and override a
single block instead of copying the whole file. Static files are overridden
the same way, file by file, from ``templates/static/``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from demodeck import cache
from demodeck.model import SiteConfig

if TYPE_CHECKING:  # Jinja is imported when a page is rendered, not for the no-change check
    import jinja2

THEME_PREFIX = "!theme"


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
    """Theme static files by name (POSIX, relative to static/); the user's win."""
    files: dict[str, Path] = {}
    for base in (builtin_dir() / "static", user_dir(project_root) / "static"):
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    files[path.relative_to(base).as_posix()] = path
    return files


def template_files(project_root: Path) -> list[Path]:
    """Every file that can change the output, for cache keys and the preview's watcher."""
    out: list[Path] = []
    for base in (builtin_dir(), user_dir(project_root)):
        if base.is_dir():
            out.extend(p for p in sorted(base.rglob("*")) if p.is_file())
    return out


def key(site: SiteConfig) -> str:
    """Everything besides the decks that shapes a page: templates, statics, settings."""
    parts: list[str | bytes] = [cache.settings_key(site)]
    for path in template_files(site.root):
        parts += [path.as_posix(), path.read_bytes()]
    return cache.digest(*parts)
