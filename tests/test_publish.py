"""Publishing in one step (issue 23, item 4): `check --strict`, the CI files `init --ci`
writes, checked against GitHub's and GitLab's published schemas (the copies of SchemaStore's
that check-jsonschema ships), and the pre-commit hook, checked by pre-commit itself."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from demodeck.ci import PLATFORMS, install_spec, workflow_text
from tests.conftest import REPO, Project, copy_examples
from tests.test_overflow import LONG_DEMO

Cap = pytest.CaptureFixture[str]
SCHEMAS = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}
SPEC = "git+https://git.example.com/tools/demodeck.git@v1.2.0"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "demodeck", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def validate(path: Path, platform: str) -> subprocess.CompletedProcess[str]:
    """check-jsonschema against the platform's schema, as vendored (no network)."""
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           SCHEMAS[platform], "--color", "never", str(path)],
                          capture_output=True, text=True, timeout=120)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# -- check --strict -----------------------------------------------------------------------------

def test_check_strict_fails_on_a_warning_and_says_why(project: Project, capsys: Cap) -> None:
    deck = project.root / "decks/2026-11-23.yaml"
    deck.write_text(deck.read_text(encoding="utf-8") + LONG_DEMO, encoding="utf-8")
    result = project.run("check", "--strict", capsys=capsys)
    assert result.code == 1
    assert result.out == ""
    warning, summary = result.err.splitlines()
    assert re.match(r"decks/2026-11-23\.yaml:\d+:5: warning: demos\[2\]: 'The whole design "
                    r"document' has more text than its slide holds at a readable size", warning)
    assert summary == "error: 1 deck, 6 slides, 1 warning, which --strict makes errors"
    lenient = project.run("check", capsys=capsys)
    assert (lenient.code, lenient.out) == (0, "OK: 1 deck, 6 slides, 1 warning\n")


def test_check_strict_passes_decks_without_warnings(project: Project, capsys: Cap) -> None:
    result = project.run("check", "--strict", capsys=capsys)
    assert (result.code, result.out, result.err) == (0, "OK: 1 deck, 5 slides, no problems\n",
                                                     "")


def test_check_strict_still_reports_errors_as_errors(project: Project, capsys: Cap) -> None:
    project.write("decks/2026-11-30.yaml", "demos: []\n")
    result = project.run("check", "--strict", capsys=capsys)
    assert result.code == 1
    assert result.err.endswith("error: 1 problem found; nothing was written\n")


# -- init --ci: the files -----------------------------------------------------------------------

@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_init_ci_writes_a_file_the_platforms_schema_accepts(tmp_path: Path,
                                                           platform: str) -> None:
    result = run("init", "team", "--ci", platform, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "team" / PLATFORMS[platform].path
    assert f"created team/{PLATFORMS[platform].path}" in result.stdout.splitlines()
    checked = validate(path, platform)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (tmp_path / "team/demodeck.yaml").is_file()  # the project as without --ci
    assert result.stdout.splitlines()[-1] == "Next: cd team && demodeck build"


@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_the_schemas_catch_a_broken_file(tmp_path: Path, platform: str) -> None:
    """The validation above is no formality: the same schema refuses a misspelt key."""
    text = workflow_text(platform, SPEC)
    broken = (text.replace("pages: write", "pages: writ") if platform == "github"
              else text.replace("  artifacts:", "  artifact:"))
    assert broken != text
    path = tmp_path / "ci.yml"
    path.write_text(broken, encoding="utf-8")
    checked = validate(path, platform)
    assert checked.returncode == 1
    assert "writ" in checked.stdout or "artifact" in checked.stdout


def test_github_workflow_checks_every_push_and_publishes_the_default_branch(
        tmp_path: Path) -> None:
    path = tmp_path / "demodeck.yml"
    path.write_text(workflow_text("github", SPEC), encoding="utf-8")
    flow = load(path)
    assert set(flow[True]) >= {"push", "pull_request"}  # YAML 1.1 reads the key `on` as True
    assert flow[True]["push"] is None and flow[True]["pull_request"] is None  # every branch
    assert flow["env"]["DEMODECK_SPEC"] == SPEC
    assert flow["permissions"] == {"contents": "read"}
    check, pages = flow["jobs"]["check"], flow["jobs"]["pages"]
    assert "if" not in check
    assert [s["run"] for s in check["steps"] if s.get("name") == "Check the decks"] == [
        "demodeck check --strict"]
    assert pages["needs"] == "check"
    assert pages["if"] == ("github.event_name != 'pull_request' && github.ref == "
                           "format('refs/heads/{0}', github.event.repository.default_branch)")
    assert pages["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    uses = [s.get("uses", "").split("@")[0] for s in pages["steps"]]
    assert uses.index("actions/configure-pages") < uses.index("actions/upload-pages-artifact") \
        < uses.index("actions/deploy-pages")
    build = next(s for s in pages["steps"] if s.get("name") == "Build the site")
    assert build["env"] == {"BASE_URL": "${{ steps.pages.outputs.base_url }}"}
    upload = next(s for s in pages["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"] == {"path": "site"}


def test_gitlab_pipeline_checks_every_push_and_publishes_the_default_branch(
        tmp_path: Path) -> None:
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(workflow_text("gitlab", SPEC), encoding="utf-8")
    ci = load(path)
    assert ci["variables"]["DEMODECK_SPEC"] == SPEC
    assert ci["check"]["script"] == ["demodeck check --strict"]
    assert "rules" not in ci["check"]  # every pipeline: pushes and merge requests
    assert ci["check"]["stage"] == "test" and ci["pages"]["stage"] == "deploy"
    assert ci["pages"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert ci["pages"]["artifacts"] == {"paths": ["public"]}
    assert ci["pages"]["script"] == ['demodeck build --out public --base-url '
                                     '"${CI_PAGES_URL%/}/"']


def shell_step(platform: str, spec: str, step: str) -> str:
    """The shell script of one step of the CI file: GitHub's step named ``step``, or
    GitLab's ``before_script`` ("install") or the pages job's script ("build")."""
    ci = yaml.safe_load(workflow_text(platform, spec))
    if platform == "github":
        steps = ci["jobs"]["pages"]["steps"]
        return str(next(s["run"] for s in steps if s.get("name") == step))
    lines = ci["default"]["before_script"] if step == "install" else ci["pages"]["script"]
    return "\n".join(lines)


@pytest.mark.parametrize(("platform", "step"), [("github", "Install demodeck"),
                                                ("gitlab", "install")])
def test_ci_with_no_demodeck_spec_stops_with_a_message(platform: str, step: str,
                                                      tmp_path: Path) -> None:
    script = shell_step(platform, "", step)
    done = subprocess.run(["bash", "-e", "-c", script], env={**os.environ, "DEMODECK_SPEC": ""},
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 1
    assert "DEMODECK_SPEC is empty: set it in" in done.stdout
    assert "where pip gets demodeck" in done.stdout


@pytest.mark.parametrize(("platform", "step", "variable", "out"), [
    ("github", "Build the site", "BASE_URL", "site"),
    ("gitlab", "build", "CI_PAGES_URL", "public"),
])
def test_ci_builds_with_the_platforms_address(platform: str, step: str, variable: str,
                                              out: str, tmp_path: Path) -> None:
    """The build step, run as CI runs it, links the pages at the address the platform gives
    (with or without a slash at its end)."""
    project = copy_examples(tmp_path / "team")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "demodeck"  # `demodeck` as pip would put it on CI's PATH
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m demodeck "$@"\n')
    shim.chmod(0o755)
    for address in ("https://octo.example.io/decks", "https://octo.example.io/decks/"):
        env = {**os.environ, variable: address,
               "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        done = subprocess.run(["bash", "-e", "-c", shell_step(platform, SPEC, step)], env=env,
                              capture_output=True, text=True, timeout=120, cwd=project)
        assert done.returncode == 0, done.stderr
        page = (project / out / "2026-11-23/index.html").read_text(encoding="utf-8")
        assert '<link rel="canonical" href="https://octo.example.io/decks/2026-11-23/">' in page


# -- init --ci: where and when --------------------------------------------------------------------

@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_init_ci_on_an_existing_project_adds_only_the_file(tmp_path: Path,
                                                           platform: str) -> None:
    assert run("init", "team", cwd=tmp_path).returncode == 0
    team = tmp_path / "team"
    before = sorted(p.relative_to(team) for p in team.rglob("*"))
    result = run("init", "team", "--ci", platform, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = PLATFORMS[platform].path
    lines = result.stdout.splitlines()
    assert lines[0] == f"created team/{path}"
    assert lines[-1] == f"Next: commit team/{path} and push"
    after = sorted(p.relative_to(team) for p in team.rglob("*"))
    assert set(after) - set(before) == {Path(path), *Path(path).parents} - {Path(".")}
    written = (team / path).read_text(encoding="utf-8")

    again = run("init", "team", "--ci", platform, cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr.startswith(f"error: team/{path} already exists; nothing was changed")
    assert (team / path).read_text(encoding="utf-8") == written


def test_init_ci_into_a_repository_with_a_gitlab_file_changes_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gitlab-ci.yml").write_text("test:\n  script: [make test]\n")
    result = run("init", "repo", "--ci", "gitlab", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: repo/.gitlab-ci.yml already exists; nothing was "
                                    "changed (GitLab reads one such file: add demodeck's "
                                    "`check` and `pages` jobs to it by hand")
    assert sorted(p.name for p in repo.iterdir()) == [".gitlab-ci.yml"]
    assert (repo / ".gitlab-ci.yml").read_text() == "test:\n  script: [make test]\n"


def test_init_ci_says_when_the_project_is_not_the_repositorys_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    result = run("init", "demos", "--ci", "github", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (f"note: GitHub reads this file only at the repository's root, {tmp_path}: it "
            "runs once the project is there") in result.stdout.splitlines()


def test_init_ci_refuses_a_platform_it_does_not_know(tmp_path: Path) -> None:
    result = run("init", "team", "--ci", "jenkins", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice: 'jenkins'" in result.stderr
    assert not (tmp_path / "team").exists()


# -- init --ci: how CI gets demodeck --------------------------------------------------------------

def direct_url(**info: Any) -> str:
    return json.dumps(info)


def test_demodeck_from_git_is_installed_from_the_same_commit() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    text = direct_url(url="https://git.example.com/tools/demodeck.git",
                      vcs_info={"vcs": "git", "commit_id": sha, "requested_revision": "main"})
    assert install_spec(text, "0.9") == f"git+https://git.example.com/tools/demodeck.git@{sha}"


def test_a_password_in_the_url_stays_out_of_the_ci_file() -> None:
    text = direct_url(url="https://me:s3cret@git.example.com/tools/demodeck.git",
                      vcs_info={"vcs": "git", "commit_id": "abc123"})
    assert install_spec(text, "0.9") == "git+https://git.example.com/tools/demodeck.git@abc123"
    token = direct_url(url="https://ghp_token@git.example.com/demodeck.git",
                       vcs_info={"vcs": "git", "commit_id": "abc123"})
    assert "ghp_token" not in install_spec(token, "0.9")
    ssh = direct_url(url="ssh://git@git.example.com/tools/demodeck.git",
                     vcs_info={"vcs": "git", "commit_id": "abc123"})
    assert install_spec(ssh, "0.9") == "git+ssh://git@git.example.com/tools/demodeck.git@abc123"


def test_demodeck_from_an_index_is_pinned_to_its_version() -> None:
    assert install_spec(None, "0.9.1") == "demodeck==0.9.1"


def test_demodeck_from_a_url_is_installed_from_it() -> None:
    text = direct_url(url="https://files.example.com/demodeck-0.9-py3-none-any.whl",
                      archive_info={"hashes": {}})
    assert install_spec(text, "0.9") == ("demodeck @ "
                                         "https://files.example.com/demodeck-0.9-py3-none-any.whl")


@pytest.mark.parametrize("text", [
    direct_url(url="file:///home/me/demodeck", dir_info={"editable": True}),
    direct_url(url="file:///home/me/demodeck", dir_info={}),
    direct_url(url="file:///tmp/demodeck-0.9.tar.gz", archive_info={}),
    direct_url(url="https://hg.example.com/demodeck", vcs_info={"vcs": "hg"}),
    "not json", "[]",
])
def test_demodeck_from_this_computer_leaves_the_spec_to_fill_in(text: str) -> None:
    assert install_spec(text, "0.9") == ""


@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_any_spec_lands_in_the_file_as_one_string(platform: str, tmp_path: Path) -> None:
    spec = 'demodeck @ https://x.example/d.whl#sha256=ab: "q" \\ é'
    path = tmp_path / "ci.yml"
    path.write_text(workflow_text(platform, spec), encoding="utf-8")
    loaded = load(path)
    values = loaded["env"] if platform == "github" else loaded["variables"]
    assert values["DEMODECK_SPEC"] == spec
    assert validate(path, platform).returncode == 0


def test_init_ci_says_to_fill_in_the_spec_when_it_cannot_tell(tmp_path: Path) -> None:
    """This test run's demodeck comes from a folder (an editable install, or none)."""
    result = run("init", "team", "--ci", "gitlab", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ("edit DEMODECK_SPEC in team/.gitlab-ci.yml: what CI's pip installs demodeck from "
            "(this copy came from a folder on this computer)") in result.stdout.splitlines()
    assert load(tmp_path / "team/.gitlab-ci.yml")["variables"]["DEMODECK_SPEC"] == ""


# -- the pre-commit hook --------------------------------------------------------------------------

HOOKS = REPO / ".pre-commit-hooks.yaml"


def test_the_pre_commit_hook_is_one_pre_commit_accepts() -> None:
    from pre_commit.clientlib import load_manifest

    (hook,) = load_manifest(str(HOOKS))  # pre-commit's own check of the file
    assert hook["id"] == "demodeck-check"
    assert hook["name"] and hook["language"] == "python"
    assert hook["entry"] == "demodeck check"
    assert hook["pass_filenames"] is False  # check reads the whole project itself
    files = re.compile(hook["files"])
    for path in ("decks/2026-11-23.yaml", "decks/2026-11-16/01-hebrew-search.yaml",
                 "decks/images/noa-levi.png", "demodeck.yaml", "templates/deck.html",
                 "templates/static/deck.css"):
        assert files.search(path), path
    for path in ("README.md", "src/app.py", "docs/decks/x.yaml", "mydemodeck.yaml"):
        assert not files.search(path), path


def readme_pre_commit_config() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", readme, re.S)
    assert match is not None, "README.md shows a .pre-commit-config.yaml"
    return match.group(1)


def test_the_readmes_pre_commit_config_is_one_pre_commit_accepts(tmp_path: Path) -> None:
    from pre_commit.clientlib import load_config

    path = tmp_path / ".pre-commit-config.yaml"
    path.write_text(readme_pre_commit_config(), encoding="utf-8")
    config = load_config(str(path))
    (repo,) = config["repos"]
    assert [hook["id"] for hook in repo["hooks"]] == ["demodeck-check"]


@pytest.mark.timeout(600)  # pre-commit installs demodeck from this checkout with pip
def test_the_pre_commit_hook_stops_a_commit_of_a_broken_deck(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("pre-commit needs git, and this repository as a git checkout")
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", ".pre-commit-hooks.yaml"],
                             cwd=REPO, capture_output=True, check=False)
    if tracked.returncode != 0:
        pytest.skip(".pre-commit-hooks.yaml is not added to git yet (pre-commit reads it "
                    "from git)")
    team = copy_examples(tmp_path / "team")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env |= {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com"}

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=team, env=env, check=True, capture_output=True)

    def hook() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO),
                               "demodeck-check"], cwd=team, env=env, capture_output=True,
                              text=True, timeout=500)

    git("init", "-q")
    git("add", "-A")
    passed = hook()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"^demodeck check\.+Passed$", passed.stdout, re.M), passed.stdout
    deck = team / "decks/2026-11-23.yaml"
    deck.write_text(deck.read_text(encoding="utf-8").replace("    why: |", "    wy: |", 1),
                    encoding="utf-8")
    git("add", "decks/2026-11-23.yaml")
    failed = hook()
    assert failed.returncode == 1
    assert re.search(r"^demodeck check\.+Failed$", failed.stdout, re.M), failed.stdout
    assert "decks/2026-11-23.yaml:" in failed.stdout
    assert "unknown field 'wy'" in failed.stdout
    assert "problems found; nothing was written" in failed.stdout
