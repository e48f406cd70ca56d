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
    listed = run("--help").stdout.split("\n  COMMAND\n", 1)[1].split("\n\n", 1)[0]
    commands = re.findall(r"^    ([a-z]+)\b", listed, re.M)  # `demodeck --help` lists each
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


# Issue 21, item 8: the README's Day-one flow (init, cd, new) works as written.
def test_new_right_after_init_makes_the_next_free_demo_day(tmp_path: Path, capsys: Cap) -> None:
    from demodeck.cli import main

    team = tmp_path / "myteam"
    assert main(["init", str(team)]) == 0
    capsys.readouterr()
    monday = next_demo_day(dt.date.today(), "monday")
    week = dt.timedelta(days=7)
    assert main(["new", "-C", str(team)]) == 0
    assert capsys.readouterr().out == (f"created decks/{monday + week}.yaml "
                                       f"(decks/{monday}.yaml already exists)\n")
    assert main(["new", "-C", str(team)]) == 0
    assert capsys.readouterr().out == (f"created decks/{monday + 2 * week}.yaml "
                                       f"(decks/{monday}.yaml and 1 more demo days already "
                                       "have a deck)\n")
    taken = team / f"decks/{monday}.yaml"
    assert main(["new", "-C", str(team), "--date", monday.isoformat()]) == 1
    assert capsys.readouterr().err == (f"error: {taken} already exists; edit it, or pass "
                                       "--date YYYY-MM-DD for another day\n")
    assert main(["check", "-C", str(team)]) == 0
    assert capsys.readouterr().out == "OK: 3 decks, 12 slides, no problems\n"


def test_new_steps_over_a_deck_folder_and_a_yml_file(project: Project, capsys: Cap) -> None:
    monday = next_demo_day(dt.date.today(), "monday")
    week = dt.timedelta(days=7)
    (project.root / "decks" / monday.isoformat()).mkdir()
    (project.root / f"decks/{monday + week}.YML").write_text("demos: []\n")
    made = project.run("new", capsys=capsys)
    assert made.out == (f"created decks/{monday + 2 * week}.yaml (decks/{monday} and 1 more "
                        "demo days already have a deck)\n")


# Issue 21, item 10: CLI habits.
@pytest.mark.parametrize("options", [["-C", "{root}"], ["-C", "{root}", "--debug"],
                                     ["--debug", "-C", "{root}"]])
def test_options_go_before_the_command_as_with_git(project: Project, options: list[str]) -> None:
    before = [o.format(root=project.root) for o in options]
    built = run(*before, "build")
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("Built 1 deck, 5 slides, ")
    assert (project.root / "site/index.html").is_file()
    project.write("decks/2026-11-23.yaml", "demos: 3\n")
    checked = run(*before, "check")
    assert checked.returncode == 1
    shown = "Traceback (most recent call last)" in checked.stderr
    assert shown == ("--debug" in options)


def test_an_option_after_the_command_wins_over_the_one_before(project: Project,
                                                             tmp_path: Path) -> None:
    result = run("-C", str(tmp_path / "nowhere"), "check", "-C", str(project.root))
    assert (result.returncode, result.stdout) == (0, "OK: 1 deck, 5 slides, no problems\n")


def test_bare_demodeck_prints_help_and_exits_0() -> None:
    result = run()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: demodeck ")
    for command in ("init", "new", "check", "build", "export", "pdf", "serve", "schema"):
        assert re.search(rf"^    {command} ", result.stdout, re.M), command
    assert "-C DIR" in result.stdout and "--debug" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("command", ["export", "pdf"])
def test_export_and_pdf_take_the_same_out_option(command: str) -> None:
    helped = run(command, "--help")
    assert "-o FILE, --out FILE" in " ".join(helped.stdout.split())
    for flag in ("-o", "--out", "--output"):
        assert parser().parse_args([command, flag, "x.out"]).out == "x.out"


def test_init_into_a_folder_with_files_says_so_and_replaces_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("# Our team\n")
    (repo / ".gitignore").write_text("node_modules\n/site")  # no newline at the end
    result = run("init", "repo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("repo is not empty: adding demodeck.yaml, decks/ and the .gitignore "
                        "lines it needs, replacing nothing")
    assert "created repo/demodeck.yaml" in lines
    assert "added exports/, .demodeck-cache/ to repo/.gitignore" in lines
    assert lines[-1] == "Next: cd repo && demodeck build"
    assert (repo / "README.md").read_text() == "# Our team\n"
    assert (repo / ".gitignore").read_text() == ("node_modules\n/site\nexports/\n"
                                                 ".demodeck-cache/\n")
    again = run("init", "repo", cwd=tmp_path)
    assert again.returncode == 1
    assert (repo / ".gitignore").read_text().count("exports/") == 1


def test_init_keeps_a_gitignore_that_has_every_line(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("/site/\nexports\n.demodeck-cache/\n")
    result = run("init", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == ("this folder is not empty: adding demodeck.yaml, "
                                             "decks/ and the .gitignore lines it needs, "
                                             "replacing nothing")
    assert not [line for line in result.stdout.splitlines() if line.endswith(".gitignore")]
    assert (tmp_path / ".gitignore").read_text() == "/site/\nexports\n.demodeck-cache/\n"


def test_init_does_not_write_through_a_gitignore_that_is_a_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("node_modules\n")
    (tmp_path / "team").mkdir()
    (tmp_path / "team/.gitignore").symlink_to(elsewhere)
    result = run("init", "team", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ("team/.gitignore is a symbolic link, left as it is: add site/, exports/, "
            ".demodeck-cache/ to the file it points to") in result.stdout.splitlines()
    assert elsewhere.read_text() == "node_modules\n"


def test_init_dot_says_what_to_run_next_without_cd(tmp_path: Path) -> None:
    result = run("init", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "created demodeck.yaml"
    assert result.stdout.splitlines()[-1] == "Next: demodeck build"
    assert "cd ." not in result.stdout
    named = run("init", "my team", cwd=tmp_path / "decks")
    assert named.stdout.splitlines()[-1] == "Next: cd 'my team' && demodeck build"


def test_a_new_deck_points_to_commands_the_user_has(tmp_path: Path) -> None:
    assert run("init", "myteam", cwd=tmp_path).returncode == 0
    (deck,) = (tmp_path / "myteam/decks").glob("*.yaml")
    text = deck.read_text()
    assert "README" not in text
    assert "`demodeck schema` prints the format" in text
    assert run("schema", cwd=tmp_path).returncode == 0


def test_schema_write_says_what_it_wrote(project: Project, capsys: Cap) -> None:
    made = project.run("schema", "--write", capsys=capsys)
    assert made.out.splitlines() == [
        "wrote decks/schema/deck.schema.json (the JSON Schema of decks/YYYY-MM-DD.yaml)",
        "wrote decks/schema/folder.schema.json (the JSON Schema of deck.yaml in a folder "
        "decks/YYYY-MM-DD/)",
        "wrote decks/schema/demo.schema.json (the JSON Schema of each demo file in such a "
        "folder)"]
    (project.root / "decks/schema/demo.schema.json").write_text("{}\n")
    again = project.run("schema", "--write", capsys=capsys)
    assert [line.split(" (")[0] for line in again.out.splitlines()] == [
        "up to date: decks/schema/deck.schema.json",
        "up to date: decks/schema/folder.schema.json",
        "wrote decks/schema/demo.schema.json"]


def test_exports_and_pdfs_land_in_a_git_ignored_folder(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: Cap) -> None:
    from demodeck.cli import main
    from tests.test_export_files import chromium_like_pdf

    fake = tmp_path / "chromium"
    fake.write_text(f"#!{sys.executable}\nimport sys\n"
                    "out = next(a for a in sys.argv if a.startswith('--print-to-pdf='))\n"
                    f"open(out.split('=', 1)[1], 'wb').write({chromium_like_pdf()!r})\n")
    fake.chmod(0o755)
    team = tmp_path / "myteam"
    assert main(["init", str(team)]) == 0
    subprocess.run(["git", "init", "-q", str(team)], check=True)
    monkeypatch.chdir(team)
    capsys.readouterr()
    assert main(["export"]) == 0
    day = next_demo_day(dt.date.today(), "monday")
    assert capsys.readouterr().out.startswith(f"wrote exports/{day}.html (")
    assert main(["pdf", "--chromium", str(fake)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote exports/{day}.pdf (")
    assert sorted(p.name for p in (team / "exports").iterdir()) == [f"{day}.html",
                                                                   f"{day}.pdf"]
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=team, capture_output=True, text=True, check=True).stdout
    assert "exports/" not in status and "demodeck.yaml" in status
    monkeypatch.chdir(tmp_path)  # from another folder, with -C: the project's exports/
    assert main(["export", "-C", "myteam"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote myteam/exports/{day}.html (")
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")
    assert main(["export", "-C", str(team)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {team}/exports/{day}.html (")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "java\tscript:x"])
def test_a_base_url_on_the_command_line_is_held_to_the_same_rule_as_in_demodeck_yaml(
        project: Project, capsys: Cap, url: str) -> None:
    got = project.run("build", "--base-url", url, capsys=capsys)
    assert got.code == 1
    assert got.err.startswith(f"error: --base-url {url!r}: not a link a page may hold")
    assert not (project.root / "site").exists()
    assert project.run("build", "--base-url", "https://wiki.example.com/demos/",
                       capsys=capsys).code == 0
