"""Hostile YAML (issue 7): every input is refused or read in bounded time and memory.

Each hostile document is parsed in a child process of its own, so a crash of libyaml
(a SIGSEGV takes the whole interpreter with it) fails one test instead of killing the
run, and so the child's peak memory measures that one document. The children start
together and run side by side; the bounds asserted are several times what was measured
on a 2-core machine (SECURITY.md gives the measured numbers).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from demodeck import load, yaml_tree
from demodeck.yaml_tree import MAX_FILE_BYTES, MAX_NODES, PRESCAN_CHARS, parse_yaml
from tests.conftest import REPO, Project

DEEP = 100_000

# name -> the document; every one of them must be refused
HOSTILE: dict[str, bytes] = {
    # "billion laughs": 9 levels of 9 aliases, 387 million values once expanded
    "billion_laughs": "\n".join(
        [f"a: &a [{', '.join(['lol'] * 9)}]"]
        + [f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]"
           for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
    ).encode(),
    # quadratic: one 10,000-item list, aliased 10,000 times (60 KB of text, 10^8 values)
    "quadratic": (b"a: &a [" + b"x," * 10_000 + b"]\nb: [" + b"*a," * 10_000 + b"]\n"),
    # an alias to the node that holds it: infinitely deep
    "recursive_alias": b"a: &a [*a, *a, {b: *a}]\n",
    # 100k-deep nesting, each way YAML can nest (libyaml's composer overflows the C stack)
    "deep_flow_seq": b"a: " + b"[" * DEEP + b"]" * DEEP + b"\n",
    "deep_flow_map": b"a: " + b"{a: " * DEEP + b"x" + b"}" * DEEP + b"\n",
    "deep_block_seq": b"- " * DEEP + b"x\n",
    "deep_mixed": b"- " * 40 + b"[{a: " * DEEP + b"x" + b"}]" * DEEP + b"\n",
    # block mappings nest by indentation: 3,000 levels is as deep as 5 MB allows
    "deep_block_map": b"".join(b" " * i + b"k:\n" for i in range(3_000)) + b" " * 3_000 + b"x\n",
    # 5 MB of tiny values: 2.6 million nodes if composed
    "flat_5mb": (b"[" + b"a," * (MAX_FILE_BYTES // 2 - 2) + b"]")[:MAX_FILE_BYTES],
    "flat_keys_5mb": (b"{" + b"a," * (MAX_FILE_BYTES // 2 - 2) + b"}")[:MAX_FILE_BYTES],
}

# (CPU seconds, megabytes) no hostile document may exceed; measured: well under a second
# and no memory beyond the interpreter's for each, about 1 s for the 5 MB ones
LIMITS = {name: (10.0, 100.0) if "5mb" in name else (3.0, 40.0) for name in HOSTILE}

CHILD = textwrap.dedent("""\
    import json, resource, sys, time
    from demodeck.load import parse_yaml
    data = open(sys.argv[1], "rb").read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()  # CPU time: the children run side by side
    tree, problems = parse_yaml("decks/x.yaml", data)
    seconds = time.process_time() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"problems": [str(p) for p in problems], "accepted": tree is not None,
                      "seconds": seconds, "mb": (peak - before) / 1024}))
    """)


@dataclass
class Outcome:
    returncode: int
    stderr: str
    problems: list[str]
    accepted: bool
    seconds: float
    mb: float


def _run_all(folder: Path, docs: dict[str, bytes]) -> dict[str, Outcome]:
    procs = {}
    for name, data in docs.items():
        path = folder / f"{name}.yaml"
        path.write_bytes(data)
        procs[name] = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], cwd=REPO,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        got = json.loads(out) if proc.returncode == 0 else {
            "problems": [], "accepted": False, "seconds": 0.0, "mb": 0.0}
        results[name] = Outcome(proc.returncode, err, **got)
    return results


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    yield _run_all(tmp_path_factory.mktemp("hostile"), HOSTILE)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_yaml_is_refused_in_bounded_time_and_memory(outcomes: dict[str, Outcome],
                                                             name: str) -> None:
    got = outcomes[name]
    assert got.returncode == 0, f"the parser process died ({got.returncode}): {got.stderr}"
    assert not got.accepted
    assert len(got.problems) == 1
    message = got.problems[0]
    assert message.startswith("decks/x.yaml:")  # a file and a line:column
    assert message.split(":")[1].isdigit() and int(message.split(":")[1]) >= 1
    if name.startswith(("deep", "recursive")):
        assert "nested more than 64 levels deep" in message
    else:
        assert f"expands to more than {MAX_NODES:,} values" in message
    seconds, mb = LIMITS[name]
    assert got.seconds < seconds, f"{name} took {got.seconds:.2f} s"
    assert got.mb < mb, f"{name} took {got.mb:.0f} MB"


def test_largest_accepted_document_is_bounded(tmp_path: Path) -> None:
    """Just under the value limit: composed, converted and accepted, in bounded time."""
    n = MAX_NODES - 1
    got = _run_all(tmp_path, {"big": b"[" + b"x," * (n - 1) + b"]"})["big"]
    assert got.returncode == 0, got.stderr
    assert got.accepted and got.problems == []
    assert got.seconds < 15 and got.mb < 250, (got.seconds, got.mb)


def test_prescan_and_compose_report_the_same_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short texts are composed and measured; long ones are first counted from the event
    stream. The two paths must agree on the message and on where it points."""
    deep = b"# padding\n" * (PRESCAN_CHARS // 8) + b"a: " + b"[" * 70 + b"]" * 70 + b"\n"
    flat = b"[" + b"x," * MAX_NODES + b"]\n"
    for doc in (deep, flat):
        assert len(doc) > PRESCAN_CHARS
        prescanned = [str(p) for p in parse_yaml("x.yaml", doc)[1]]
        with monkeypatch.context() as m:
            m.setattr(yaml_tree, "PRESCAN_CHARS", 10 * MAX_FILE_BYTES)
            composed = [str(p) for p in parse_yaml("x.yaml", doc)[1]]
        assert len(prescanned) == 1 and prescanned == composed


def test_aliases_are_measured_after_the_prescan() -> None:
    """The event stream does not expand aliases; the bomb is still caught after composing."""
    pad = b"# padding\n" * (PRESCAN_CHARS // 8)
    problems = [str(p) for p in parse_yaml("x.yaml", pad + HOSTILE["billion_laughs"])[1]]
    assert len(problems) == 1 and f"more than {MAX_NODES:,} values" in problems[0]


def test_libyamls_own_nesting_limit_reads_as_ours() -> None:
    """Newer libyaml (PyYAML 6.0.4's) stops deep nesting itself, in its own words: the user
    reads demodeck's message, at libyaml's place, whichever libyaml PyYAML bundles."""
    mark = yaml.Mark("x.yaml", 1002, 0, 1002, None, None)
    exc = yaml.MarkedYAMLError(problem="exceeded maximum nesting depth",
                               context="while increasing flow level", problem_mark=mark)
    problem = yaml_tree._yaml_problem("decks/x.yaml", "a: " + "[" * 1100, exc)
    assert str(problem) == ("decks/x.yaml:1:1003: values are nested more than 64 levels "
                            "deep; refusing to read it")


def test_nesting_at_the_limit_is_accepted() -> None:
    ok = b"a: " + b"[" * 64 + b"]" * 64 + b"\n"
    tree, problems = parse_yaml("x.yaml", ok)
    assert problems == [] and tree is not None
    tree, problems = parse_yaml("x.yaml", b"#" + b" " * PRESCAN_CHARS + b"\n" + ok)
    assert problems == [] and tree is not None


# --- a 50 MB file, encodings, BOMs ---------------------------------------------------------


def test_50_mb_deck_is_refused_unread(project: Project) -> None:
    """The file is refused from its size: only the first 5 MB + 1 byte are ever read."""
    big = project.root / "decks/2026-11-30.yaml"
    with big.open("wb") as f:
        f.write(b"title: x\n")
        f.truncate(50 * 1024 * 1024)
    child = textwrap.dedent(f"""\
        import resource, sys, time
        from demodeck.pipeline import validate_all
        from demodeck.config import load_config
        from demodeck.errors import BuildError
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.process_time()
        try:
            validate_all(load_config(__import__("pathlib").Path({str(project.root)!r})))
        except BuildError as exc:
            print("\\n".join(str(p) for p in exc.problems))
        print(time.process_time() - started,
              (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
        """)
    proc = subprocess.run([sys.executable, "-c", child], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    *problems, numbers = proc.stdout.splitlines()
    assert problems == ["decks/2026-11-30.yaml: the file is 52.4 MB; deck files are "
                        "limited to 5 MB"]
    seconds, mb = map(float, numbers.split())
    assert seconds < 5 and mb < 30, (seconds, mb)


@pytest.mark.parametrize(("data", "message"), [
    ("title: Démo\n".encode("latin-1"), "1:9: the file is not valid UTF-8 (byte 0xe9); "
     "save it as UTF-8"),
    ("\ufefftitle: x\n".encode("utf-16"), "1:1: the file is not valid UTF-8 (byte 0xff); "
     "save it as UTF-8"),
    ("title: x\n".encode("utf-32"), "1:1: the file is not valid UTF-8 (byte 0xff); "
     "save it as UTF-8"),
    (b"title: ok\nwhy: \x93smart\x94\n", "2:6: the file is not valid UTF-8 (byte 0x93); "
     "save it as UTF-8"),  # Windows-1252 quotes
    (b"title: \xed\xa0\x80\n", "1:8: the file is not valid UTF-8 (byte 0xed); "
     "save it as UTF-8"),  # an encoded surrogate
    (b"title: \xc0\xaf\n", "1:8: the file is not valid UTF-8 (byte 0xc0); "
     "save it as UTF-8"),  # an overlong "/"
    (b"title: a\x01b\n", "1:9: the file contains the control character U+0001, which YAML "
     "does not allow; delete it"),
    ("é: ü\x1b\n".encode(), "1:5: the file contains the control character U+001B, which "
     "YAML does not allow; delete it"),  # columns count characters, not bytes
    (b"\x00", "1:1: the file contains the control character U+0000, which YAML does not "
     "allow; delete it"),
])
def test_unreadable_text_is_reported_with_line_and_column(data: bytes, message: str) -> None:
    assert [str(p) for p in parse_yaml("d.yaml", data)[1]] == [f"d.yaml:{message}"]


@pytest.mark.parametrize("data", [
    "\ufefftitle: x\n".encode(),
    "\ufeff\ufefftitle: x\n".encode(),  # an editor that added one twice
    b"title: x\r\nhosts: [a]\r\n",  # Windows line ends
])
def test_bom_and_crlf_are_accepted(data: bytes) -> None:
    tree, problems = parse_yaml("x.yaml", data)
    assert problems == [] and tree is not None


def test_deck_with_bom_and_crlf_builds(project: Project, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    deck = project.root / "decks/2026-11-23.yaml"
    deck.write_bytes(b"\xef\xbb\xbf" + deck.read_bytes().replace(b"\n", b"\r\n"))
    result = project.run("build", capsys=capsys)
    assert result.code == 0, result.err
    assert "Search v2" in project.site("2026-11-23/index.html")


# --- tags ----------------------------------------------------------------------------------

TAGGED = [
    "title: !!python/object/apply:os.system ['touch {canary}']\n",
    "title: !!python/object/new:os.system ['touch {canary}']\n",
    "title: !!python/object:os.system {{}}\n",
    "title: !!python/name:os.system ''\n",
    "title: !!python/module:os ''\n",
    "title: !<tag:yaml.org,2002:python/object/apply:os.system> ['touch {canary}']\n",
    "%TAG !p! tag:yaml.org,2002:python/\n---\ntitle: !p!object/apply:os.system "
    "['touch {canary}']\n",
    "title: !!binary dG91Y2g=\n",
    "title: !!set {{a, b}}\n",
    "title: !!omap [a: 1]\n",
    "title: !local x\n",
    "? !!python/object/apply:os.system ['touch {canary}']\n: x\n",
    "demos: !!python/object/apply:os.system ['touch {canary}']\n",
    "demos:\n  - !!python/object/apply:os.system\n    args: ['touch {canary}']\n",
]


@pytest.mark.parametrize("template", TAGGED)
def test_tags_are_refused_and_never_run(project: Project, template: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    canary = project.root / "pwned"
    project.write_bytes("decks/2026-11-23.yaml", template.format(canary=canary).encode())
    # in a child process for the first (no traceback even outside pytest), in-process after
    result = (project.run_process("build") if template is TAGGED[0]
              else project.run("build", capsys=capsys))
    assert result.code == 1
    assert not canary.exists()
    lines = result.err.splitlines()
    assert lines[-1].endswith("nothing was written")
    assert lines[0].startswith("decks/2026-11-23.yaml:")
    assert "is not allowed" in lines[0] or "a key must be plain text" in lines[0]
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert not (project.root / "site").exists()


# --- one walk: the converter keeps the limits itself, exactly as measuring first did ------

DEEP_70 = "[" * 70 + "]" * 70


@pytest.mark.parametrize(("doc", "where"), [
    (f"a: !foo {DEEP_70}\n", "1:73"),  # a refused tag: the converter does not look inside
    (f"a: 1\nb: 2\na: {DEEP_70}\n", "3:68"),  # a duplicate key's value is not converted
    (f"<<: {DEEP_70}\n", "1:69"),  # nor a merge key's
    (f"? [k]\n: {DEEP_70}\n", "2:67"),  # nor the value of a key that is not text
    (f"a: 2026-02-30\nb: {DEEP_70}\n", "2:68"),  # an unreadable date first
])
def test_a_limit_behind_a_problem_is_still_the_only_problem(doc: str, where: str) -> None:
    """Converting stops at the first problem in a value, but the limits cover the whole
    document and come first, as they did when the document was measured before it was
    converted."""
    assert [str(p) for p in parse_yaml("x.yaml", doc.encode())[1]] == [
        f"x.yaml:{where}: values are nested more than 64 levels deep; refusing to read it"]


def test_an_alias_bomb_behind_a_refused_tag_is_still_refused() -> None:
    doc = ("b: &b [" + ", ".join(["x"] * 1000) + "]\n"
           "a: !foo [" + ", ".join(["*b"] * 300) + "]\n")
    assert [str(p) for p in parse_yaml("x.yaml", doc.encode())[1]] == [
        f"x.yaml:1:4: the document expands to more than {MAX_NODES:,} values (too many "
        "aliases, or far too large); refusing to read it"]


def test_aliases_to_collections_are_expanded_with_the_anchors_marks() -> None:
    tree, problems = parse_yaml(
        "x.yaml", b"team: &t {name: Data}\ndemos:\n  - team: *t\n  - team: *t\n")
    assert problems == [] and isinstance(tree, load.RawMap)
    demos = tree.entries["demos"][1]
    assert isinstance(demos, load.RawSeq) and len(demos.items) == 2
    for demo in demos.items:
        assert isinstance(demo, load.RawMap)
        team = demo.entries["team"][1]
        assert isinstance(team, load.RawMap) and team.mark == load.Mark(1, 7)
        name = team.entries["name"][1]
        assert isinstance(name, load.RawScalar) and name.value == "Data"


def test_an_alias_bomb_is_refused_before_anything_is_expanded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The one walk stops at the first alias to a collection, having converted no more
    values than the text holds; measuring then refuses the bomb."""
    converted = 0
    value = yaml_tree._Converter.value

    def counting(self: yaml_tree._Converter, node: yaml.Node, depth: int) -> load.Raw | None:
        nonlocal converted
        converted += 1
        return value(self, node, depth)

    monkeypatch.setattr(yaml_tree._Converter, "value", counting)
    problems = parse_yaml("x.yaml", HOSTILE["billion_laughs"])[1]
    assert len(problems) == 1 and f"more than {MAX_NODES:,} values" in problems[0].message
    assert 0 < converted <= HOSTILE["billion_laughs"].count(b",") + 20


# Small flow documents: anchors and aliases (to scalars; now and then to collections or to
# themselves), refused tags and keys, duplicate keys, unreadable values, a few levels deep.
_COMMON = st.sampled_from(["x", "1", "2026-11-23", "~", "true", "'q'", "!!str 5", "*c"])
_SCALAR = st.one_of(_COMMON, _COMMON, _COMMON, _COMMON, _COMMON, _COMMON, st.sampled_from(
    ["2026-02-30", "!foo y", "!!binary eA==", "<<", "=", "*a", "*b", "*r"]))
_KEY = st.one_of(st.sampled_from(["k", "j", "1", "l", "m", "'n'", "*c"]),
                 st.sampled_from(["k", "j", "1", "l", "m"]),
                 st.sampled_from(["<<", "[z]", "!foo k", "k"]))


def _collections(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    seqs = st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]")
    maps = st.lists(st.tuples(_KEY, children), max_size=4).map(
        lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}")
    plain = st.one_of(seqs, maps)
    tagged = st.tuples(st.sampled_from(["&r ", "!!seq ", "!!map ", "!foo ", "!!set "]),
                       plain).map("".join)
    return st.one_of(plain, plain, plain, tagged)


_DOCS = st.recursive(_SCALAR, _collections, max_leaves=25).map(
    lambda main: "{d0: &a [x, y], d1: &b {k: [z]}, d2: &c z, main: " + main + "}")


@settings(max_examples=500, deadline=None)
@given(_DOCS, st.sampled_from([(MAX_NODES, 64), (12, 3), (25, 5)]))
def test_one_walk_agrees_with_measuring_first(doc: str, limits: tuple[int, int]) -> None:
    """parse_yaml converts in one walk that keeps the limits itself; measuring the whole
    document first and converting after (the way every document was read before, and the
    way one with an alias to a collection still is) must give the same tree and problems,
    also when small limits make them bite."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yaml_tree, "MAX_NODES", limits[0])
        patch.setattr(yaml_tree, "MAX_DEPTH", limits[1])
        try:
            node = yaml.compose(doc, Loader=yaml_tree._Loader)
        except yaml.YAMLError:
            return  # e.g. an alias to an anchor not defined yet: composing refuses it
        assert yaml_tree._convert(node, "x.yaml") == yaml_tree._measured_convert(node, "x.yaml")
