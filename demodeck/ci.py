"""`demodeck init --ci github|gitlab`: the CI file that checks every push and publishes.

One file per platform, written at the project's root (the repository's root, where GitHub
and GitLab look): `demodeck check --strict` on every push and pull/merge request, and on
the default branch a build with ``--base-url`` from the platform's own variables, published
to GitHub Pages or GitLab Pages. CI installs demodeck with ``pip install "$DEMODECK_SPEC"``:
demodeck is not on PyPI, so the spec is where this copy came from when pip recorded it
(PEP 610's direct_url.json), and left for the user to fill in when it did not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from demodeck.errors import UsageError

_SPEC = "@DEMODECK_SPEC@"  # replaced by the pip requirement, as a YAML string

# The steps both jobs of the GitHub workflow start with: the project and demodeck.
_GITHUB_INSTALL = """\
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install demodeck
        run: |
          if [ -z "$DEMODECK_SPEC" ]; then
            echo "::error::DEMODECK_SPEC is empty: set it in this file to where pip gets demodeck"
            exit 1
          fi
          python -m pip install "$DEMODECK_SPEC"
"""

GITHUB = """\
# Written by `demodeck init --ci github`. Every push and pull request: `demodeck check
# --strict` (an error or a warning fails it). Every push to the default branch: the site,
# built with the address GitHub Pages gives it, published there. Turn Pages on once, in
# the repository's Settings > Pages > Source: "GitHub Actions".
name: demodeck

on:
  push:
  pull_request:
  workflow_dispatch:

permissions:
  contents: read

env:
  # What `pip install` installs demodeck from (demodeck is not on PyPI): a git URL such
  # as git+https://git.example.com/tools/demodeck.git@v1.2.0, a wheel's URL, or a name
  # your package index knows. Change it when you upgrade demodeck.
  DEMODECK_SPEC: @DEMODECK_SPEC@

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      @INSTALL@
      - name: Check the decks
        run: demodeck check --strict

  pages:
    needs: check
    if: >-
      github.event_name != 'pull_request' &&
      github.ref == format('refs/heads/{0}', github.event.repository.default_branch)
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pages: write
      id-token: write
    concurrency:
      group: pages
      cancel-in-progress: false
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      @INSTALL@
      - id: pages
        uses: actions/configure-pages@v5
      - name: Build the site
        env:
          BASE_URL: ${{ steps.pages.outputs.base_url }}
        run: demodeck build --out site --base-url "${BASE_URL%/}/"
      - uses: actions/upload-pages-artifact@v4
        with:
          path: site
      - id: deployment
        uses: actions/deploy-pages@v4
"""
GITHUB = GITHUB.replace("      @INSTALL@\n", _GITHUB_INSTALL)

GITLAB = """\
# Written by `demodeck init --ci gitlab`. Every push and merge request: `demodeck check
# --strict` (an error or a warning fails it). Every push to the default branch: the site,
# built with the address GitLab Pages gives it ($CI_PAGES_URL), published there.

variables:
  # What `pip install` installs demodeck from (demodeck is not on PyPI): a git URL such
  # as git+https://git.example.com/tools/demodeck.git@v1.2.0, a wheel's URL, or a name
  # your package index knows. Change it when you upgrade demodeck.
  DEMODECK_SPEC: @DEMODECK_SPEC@

workflow:  # one pipeline for a push, a merge request's when there is one
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS
      when: never
    - if: $CI_COMMIT_BRANCH

default:
  image: python:3.12  # the full image: pip needs git for a git+https:// requirement
  before_script:
    - >-
      if [ -z "$DEMODECK_SPEC" ]; then
      echo "DEMODECK_SPEC is empty: set it in .gitlab-ci.yml to where pip gets demodeck";
      exit 1; fi
    - python -m pip install "$DEMODECK_SPEC"

check:
  stage: test
  script:
    - demodeck check --strict

pages:
  stage: deploy
  script:
    - demodeck build --out public --base-url "${CI_PAGES_URL%/}/"
  artifacts:
    paths:
      - public
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
"""


@dataclass(frozen=True, slots=True)
class Platform:
    name: str  # as --ci takes it
    title: str  # as the platform spells its name
    path: str  # where the file goes, from the repository's root
    template: str


PLATFORMS = {
    "github": Platform("github", "GitHub", ".github/workflows/demodeck.yml", GITHUB),
    "gitlab": Platform("gitlab", "GitLab", ".gitlab-ci.yml", GITLAB),
}


def install_spec(direct_url: str | None, version: str) -> str:
    """The pip requirement that installs this demodeck again, from pip's record of where it
    came from (the text of PEP 610's direct_url.json, None when pip installed it from an
    index); "" when that was a folder or a file on this computer, which CI cannot reach.

    A git checkout is pinned to its commit, so CI builds with the demodeck you run; any
    user name or password in a URL is left out of the file."""
    if direct_url is None:
        return f"demodeck=={version}"
    try:
        info = json.loads(direct_url)
    except ValueError:
        return ""
    url = info.get("url") if isinstance(info, dict) else None
    if not isinstance(url, str) or not re.match(r"(?i)(https?|ssh)://", url):
        return ""
    if not url.lower().startswith("ssh"):  # ssh's user (git@) is no secret; others may be
        url = re.sub(r"^(https?://)[^/@]*@", r"\1", url, flags=re.I)
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict):
        if vcs.get("vcs") != "git":
            return ""
        commit = vcs.get("commit_id")
        return f"git+{url}" + (f"@{commit}" if isinstance(commit, str) and commit else "")
    if isinstance(info.get("archive_info"), dict):
        return f"demodeck @ {url}"
    return ""


def detected_spec() -> str:
    """:func:`install_spec` for the demodeck running now."""
    from importlib import metadata

    try:
        dist = metadata.distribution("demodeck")
    except metadata.PackageNotFoundError:  # run from a source folder, not installed
        return ""
    return install_spec(dist.read_text("direct_url.json"), dist.version)


def workflow_text(platform: str, spec: str) -> str:
    """The CI file for ``platform`` ("github" or "gitlab"), installing demodeck by ``spec``."""
    return PLATFORMS[platform].template.replace(_SPEC, json.dumps(spec))


def check_free(root: Path, platform: str) -> Path:
    """Where the CI file for ``platform`` goes under ``root``; raises UsageError when a file
    (or a link) is already there: it is never replaced."""
    path = root / PLATFORMS[platform].path
    if path.exists() or path.is_symlink():
        hint = (" (GitLab reads one such file: add demodeck's `check` and `pages` jobs to it "
                "by hand, see the README's Publishing section)" if platform == "gitlab" else "")
        raise UsageError(f"{path} already exists; nothing was changed{hint}")
    return path


def write_ci(root: Path, platform: str, spec: str) -> list[str]:
    """Write the CI file for ``platform`` under ``root``; returns what was done, a line each.
    Raises UsageError when the file is already there (see :func:`check_free`)."""
    path = check_free(root, platform)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as f:  # "x": fail rather than overwrite
        f.write(workflow_text(platform, spec))
    done = [f"created {path}"]
    if not spec:
        done.append(f"edit DEMODECK_SPEC in {path}: what CI's pip installs demodeck from "
                    "(this copy came from a folder on this computer)")
    top = _repository_root(root)
    if top is not None and top != root.resolve():
        done.append(f"note: {PLATFORMS[platform].title} reads this file only at the "
                    f"repository's root, {top}: it runs once the project is there")
    return done


def _repository_root(folder: Path) -> Path | None:
    """The root of the git work tree ``folder`` is in (the nearest holding ``.git``)."""
    here = folder.resolve()
    return next((p for p in (here, *here.parents) if (p / ".git").exists()), None)
