"""Shared helper for browser tests: Playwright driving Debian's Chromium.

Playwright's own browser builds are not downloaded; tests use the system
Chromium at /usr/bin/chromium (or $DEMODECK_CHROMIUM). When either Playwright
or Chromium is missing, :func:`unavailable` says why and :func:`require` fails the
test with that reason: browser tests never skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = os.environ.get("DEMODECK_CHROMIUM", "/usr/bin/chromium")

# Headless as root in a sandbox-less container, with no network: keep Chromium
# from phoning home (its connection attempts are refused here, slowly).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def unavailable() -> str | None:
    """Why a browser test can't run here, or None if it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def require() -> None:
    """Fail, never skip, when the browser is missing: the browser suite must run in CI."""
    import pytest

    reason = unavailable()
    if reason is not None:
        pytest.fail(f"{reason}. Browser tests run everywhere, CI included: `bash .ci/run` "
                    "installs Chromium, Java and the npm test tools, then runs them.")


def launch(playwright: Any, **kwargs: Any) -> Any:
    """Launch headless Chromium from a running ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, **kwargs)


@contextmanager
def chromium(**kwargs: Any) -> Iterator[Any]:
    """``with chromium() as browser:`` a Playwright Browser, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p, **kwargs)
        try:
            yield browser
        finally:
            browser.close()


def errors_of(page: Any, *, dialogs: bool = False) -> list[str]:
    """The script errors and console errors of ``page`` from now on (and its dialogs,
    with ``dialogs``), as a list that grows while the page runs."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    if dialogs:
        page.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))
    return errors


@contextmanager
def watched_page(browser: Any, width: int, height: int, *,
                 dialogs: bool = False) -> Iterator[Any]:
    """A tab of its own, ``width`` × ``height``; an error in it (see errors_of) fails the
    test when the tab closes."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors = errors_of(page, dialogs=dialogs)
    yield page
    context.close()
    assert errors == [], f"errors in the page: {errors}"
