"""cli.py and scaffold.py: what a user types on day one, and what they read back."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from demodeck.cli import parser
from demodeck.scaffold import next_demo_day
from tests.conftest import REPO, Project

Cap = pytest.CaptureFixture[str]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "demodeck", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def test_version() -> None:
    from demodeck import __version__

    result = run("--version")
    assert (result.returncode, result.stdout) == (0, f"demodeck {__version__}\n")


def test_every_command_has_help() -> None:
    commands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"init", "new", "check", "build", "schema"} <= set(commands)
    for name in commands:
        result = run(name, "--help")
        assert result.returncode == 0, name
        assert result.stdout.startswith(f"usage: demodeck {name}"), name


def test_next_demo_day() -> None:
    tuesday = dt.date(2026, 11, 24)
    assert next_demo_day(tuesday, "monday") == dt.date(2026, 11, 30)
    assert next_demo_day(tuesday, "tuesday") == tuesday
    assert next_demo_day(tuesday, "friday") == dt.date(2026, 11, 27)


def test_init_then_check_then_build(tmp_path: Path) -> None:
    result = run("init", "myteam", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    team = tmp_path / "myteam"
    decks = sorted((team / "decks").glob("*.yaml"))
    assert len(decks) == 1
    day = dt.date.fromisoformat(decks[0].stem)
    assert day.weekday() == 0 and 0 <= (day - dt.date.today()).days < 7
    first_line = decks[0].read_text().splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=schema/deck.schema.json"
    schema = json.loads((team / "decks/schema/deck.schema.json").read_text())
    assert "could_be_better" in schema["properties"]["demos"]["items"]["properties"]
    assert (team / ".gitignore").read_text().startswith("site/\n")
    assert run("check", cwd=team).returncode == 0
    built = run("build", cwd=team)
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("Built 1 deck, 4 slides, ")
    assert (team / "site" / day.isoformat() / "index.html").is_file()
    again = run("init", "myteam", cwd=tmp_path)
    assert again.returncode == 1
    assert again.stderr == "error: myteam already holds a demodeck project; nothing was changed\n"


def test_new_refuses_to_overwrite(project: Project, capsys: Cap) -> None:
    made = project.run("new", "--date", "2026-11-30", capsys=capsys)
    assert (made.code, made.out) == (0, "created decks/2026-11-30.yaml\n")
    text = (project.root / "decks/2026-11-30.yaml").read_text()
    assert "could_be_better:" in text
    again = project.run("new", "--date", "2026-11-30", capsys=capsys)
    assert again.code == 1
    assert again.err.endswith("decks/2026-11-30.yaml already exists; edit it, or pass "
                              "--date YYYY-MM-DD for another day\n")
    assert (project.root / "decks/2026-11-30.yaml").read_text() == text
    assert project.run("check", capsys=capsys).code == 0


def test_new_default_is_next_demo_day(project: Project, capsys: Cap) -> None:
    project.write("demodeck.yaml", "demo_day: friday\n")
    made = project.run("new", capsys=capsys)
    day = next_demo_day(dt.date.today(), "friday")
    assert made.out == f"created decks/{day.isoformat()}.yaml\n"


def test_committed_schemas_match_the_format(capsys: Cap) -> None:
    from demodeck.scaffold import schema_text

    for kind in ("deck", "folder", "demo"):
        committed = (REPO / "decks/schema" / f"{kind}.schema.json").read_text()
        assert committed == schema_text(kind), f"run `demodeck schema --write` ({kind})"


def _as_json(value: object) -> object:
    """YAML as an editor's language server sees it (YAML 1.2: dates are strings)."""
    if isinstance(value, dict):
        return {str(k): _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def test_example_files_validate_against_the_schema_they_name() -> None:
    import jsonschema
    import yaml

    files = sorted((REPO / "decks").rglob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        first = path.read_text().splitlines()[0]
        ref = first.removeprefix("# yaml-language-server: $schema=")
        assert ref != first, path
        schema = json.loads((path.parent / ref).read_text())
        jsonschema.validate(_as_json(yaml.safe_load(path.read_text())), schema)
    demo_schema = json.loads((REPO / "decks/schema/demo.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError, match="could_be_better"):
        jsonschema.validate({"title": "x", "people": ["a"], "features": ["f"], "why": "w",
                             "could_be_beter": "typo"}, demo_schema)


def test_schema_is_json_schema(capsys: Cap) -> None:
    from demodeck.cli import main

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    demo = schema["properties"]["demos"]["items"]
    assert demo["required"] == ["title", "people", "features", "why", "could_be_better"]
    assert demo["additionalProperties"] is False
    outcome = schema["properties"]["experiments"]["items"]["properties"]["outcome"]
    assert outcome["enum"] == ["success", "mixed", "failed"]


def test_errors_have_no_traceback_and_exit_1(project: Project) -> None:
    project.write("decks/2026-11-23.yaml", "demos:\n  - title: A\n")
    result = project.run_process("build")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.err.splitlines() == [
        "decks/2026-11-23.yaml:2:5: demos[0]: missing required field 'people'",
        "decks/2026-11-23.yaml:2:5: demos[0]: missing required field 'features'",
        "decks/2026-11-23.yaml:2:5: demos[0]: missing required field 'why'",
        "decks/2026-11-23.yaml:2:5: demos[0]: missing required field 'could_be_better'",
        "error: 4 problems found; nothing was written",
    ]


def test_failed_build_leaves_previous_site_untouched(project: Project, capsys: Cap) -> None:
    assert project.run("build", capsys=capsys).code == 0
    site = project.root / "site"
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    project.write("decks/2026-11-30.yaml", "demos: [}\n")
    failed = project.run("build", capsys=capsys)
    assert failed.code == 1
    after = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in project.root.iterdir() if p.name.startswith(".site")] == []


def test_build_refuses_to_replace_a_folder_it_did_not_make(project: Project, capsys: Cap,
                                                           tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    result = project.run("build", "--out", str(precious), capsys=capsys)
    assert result.code == 1
    assert "has files demodeck did not write; refusing to replace it" in result.err
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_debug_shows_traceback(project: Project) -> None:
    project.write("decks/2026-11-23.yaml", "demos: 3\n")
    result = project.run_process("check", "--debug")
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.err
    assert "demodeck.errors.BuildError: decks/2026-11-23.yaml:1:8: demos:" in result.err


def _program(project: Project, tmp_path: Path, *args: str,
             buffered: bool = True) -> tuple[int, str, str]:
    """Run `python -m demodeck` with stdout and stderr going to files, not pipes."""
    env = dict(os.environ)
    if buffered:
        env.pop("PYTHONUNBUFFERED", None)
    else:
        env["PYTHONUNBUFFERED"] = "1"
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("w") as o, err.open("w") as e:
        code = subprocess.run([sys.executable, "-m", "demodeck", *args, "-C", str(project.root)],
                              stdout=o, stderr=e, env=env, timeout=60).returncode
    return code, out.read_text(), err.read_text()


@pytest.mark.parametrize("buffered", [True, False])
def test_program_keeps_its_output_and_exit_status(project: Project, tmp_path: Path,
                                                  buffered: bool) -> None:
    code, out, err = _program(project, tmp_path, "build", buffered=buffered)
    assert (code, err) == (0, "")
    assert re.fullmatch(r"Built 1 deck, 5 slides, \d+ files in [\d.]+ s → .*\n", out), out
    assert (project.root / "site/index.html").is_file()
    code, out, err = _program(project, tmp_path, "check", buffered=buffered)
    assert (code, out, err) == (0, "OK: 1 deck, 5 slides, no problems\n", "")
    project.write("decks/2026-11-23.yaml", "demos: [}\n")
    code, out, err = _program(project, tmp_path, "build", buffered=buffered)
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == "error: 1 problem found; nothing was written"


def test_program_started_without_stdout(project: Project) -> None:
    """`demodeck check >&-`: Python has no sys.stdout then, and nothing to flush."""
    result = subprocess.run([sys.executable, "-m", "demodeck", "check", "-C", str(project.root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: os.close(1), timeout=60)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("buffered", [True, False])
def test_a_reader_that_went_away_ends_the_program_quietly(project: Project,
                                                          buffered: bool) -> None:
    """`demodeck build | head -0`: the site is built, and the program ends as a command
    killed by SIGPIPE does, without an "internal error" or "Exception ignored" message."""
    env = dict(os.environ)
    if buffered:
        env.pop("PYTHONUNBUFFERED", None)
    else:
        env["PYTHONUNBUFFERED"] = "1"
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run([sys.executable, "-m", "demodeck", "build", "-C",
                                 str(project.root)], stdout=write, stderr=subprocess.PIPE,
                                text=True, env=env, timeout=60)
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (141, "")
    assert (project.root / "site/index.html").is_file()


def test_a_small_build_imports_only_what_it_uses(project: Project) -> None:
    """No multiprocessing (~9 ms to import; the pool is os.fork and pipes), difflib (~3 ms)
    only to suggest a correction: a build of one deck needs neither, even with --jobs 2."""
    code = ("import sys; from demodeck.cli import main; "
            f"status = main(['build', '-C', {str(project.root)!r}, '--jobs', '2']); "
            "print(status, sorted(m for m in ('multiprocessing', 'difflib') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.splitlines()[-1] == "0 []", result.stderr


@pytest.mark.parametrize("deck", ["2026-11-23", "decks/2026-11-23.yaml", "2026-11-23.YAML",
                                  "decks/2026-11-23/"])
def test_export_takes_a_date_or_a_deck_path(project: Project, capsys: Cap, tmp_path: Path,
                                            deck: str) -> None:
    out = tmp_path / "one.html"
    result = project.run("export", deck, "-o", str(out), capsys=capsys)
    assert result.code == 0, result.err
    assert result.out.startswith(f"wrote {out} (")
    assert "Search v2" in out.read_text()
