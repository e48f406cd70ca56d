"""Site settings from the optional ``demodeck.yaml`` at the project root."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from demodeck import schema
from demodeck.errors import BuildError, Problem, UsageError, reason
from demodeck.load import Mark, RawMap, RawSeq, read_file
from demodeck.model import SiteConfig
from demodeck.outdir import MARKER
from demodeck.urls import url_is_safe
from demodeck.validate import Ctx, field_values

CONFIG_FILE = "demodeck.yaml"


def load_config(root: Path, *, output_dir: str | None = None,
                base_url: str | None = None) -> SiteConfig:
    """Read ``demodeck.yaml`` (if any) under ``root``; raises BuildError on any problem.

    ``output_dir`` and ``base_url`` override the file (they come from CLI flags).
    """
    root = root.resolve()
    values: dict[str, object] = {}
    marks: dict[str, Mark] = {}  # where each setting's value is written
    file = root / CONFIG_FILE
    problems: list[Problem] = []
    try:
        found = file.exists()
    except OSError as exc:  # the project folder cannot be searched
        raise UsageError(f"{root}: cannot read this folder ({reason(exc)})") from exc
    if found:
        source, problems = read_file(root, file)
        tree, parse_problems = source.parse()
        problems.extend(parse_problems)
        if tree is not None and not isinstance(tree, RawMap):
            problems.append(Problem(CONFIG_FILE, 1, 1, "demodeck.yaml must be a mapping "
                                    "of settings (title:, decks_dir:, ...)"))
        elif tree is not None:
            ctx = Ctx(CONFIG_FILE, root, root, problems)
            values, _ = field_values(schema.CONFIG, tree, "", ctx)
            marks = _marks(tree)
    problems.extend(_check_relative(values, marks))
    problems.extend(_check_extra(values, marks))
    if output_dir is not None:  # --out may point anywhere, e.g. a CI artifacts folder
        values["output_dir"] = output_dir
        marks.pop("output_dir", None)  # not demodeck.yaml's setting any more
    else:
        problems.extend(_check_no_symlink(root, values, marks.get("output_dir")))
    if base_url is not None:  # --base-url: the same rule as base_url in demodeck.yaml
        if not url_is_safe(base_url) or any(ord(c) < 32 or ord(c) == 127 for c in base_url):
            raise UsageError(f"--base-url {base_url!r}: not a link a page may hold; give the "
                             "http(s) address the site is published at")
        values["base_url"] = base_url
    config = SiteConfig(root=root, **values)  # type: ignore[arg-type]
    problems.extend(_check_folders(config, marks.get("output_dir")))
    if problems:
        raise BuildError(problems)
    return config


def _marks(tree: RawMap) -> dict[str, Mark]:
    """Where each setting's value, and each item of ``extra:``, is written."""
    marks = {name: raw.mark for name, (_, raw) in tree.entries.items()}
    extra = tree.entries.get("extra")
    if extra is not None and isinstance(extra[1], RawSeq):
        marks.update((f"extra[{i}]", item.mark) for i, item in enumerate(extra[1].items))
    return marks


def _at(mark: Mark | None) -> tuple[int, int]:
    """Line and column of a setting in demodeck.yaml; (0, 0) when the file does not set
    it (a default, or a command-line flag)."""
    return (mark.line, mark.column) if mark is not None else (0, 0)


def _check_relative(values: dict[str, object], marks: dict[str, Mark]) -> list[Problem]:
    problems: list[Problem] = []
    for name in ("decks_dir", "output_dir"):
        value = values.get(name)
        if isinstance(value, str):
            pure = PurePosixPath(value)
            if pure.is_absolute() or ".." in pure.parts:
                problems.append(Problem(CONFIG_FILE, *_at(marks.get(name)),
                                        f"'{value}' must be a folder "
                                        "inside the project (relative, without '..')", name))
    return problems


def _check_no_symlink(root: Path, values: dict[str, object], mark: Mark | None) -> list[Problem]:
    """The configured output folder is written through no symlink: one could send the
    build, and the removal of the previous site, anywhere on this computer."""
    value = values.get("output_dir")
    pure = PurePosixPath(value) if isinstance(value, str) else None
    if pure is None or pure.is_absolute() or ".." in pure.parts:
        return []  # refused by _check_relative
    folder = root
    for part in pure.parts:
        folder = folder / part
        try:
            symlink = folder.is_symlink()
        except OSError:  # a name too long: the write says so
            return []
        if symlink:
            where = folder.relative_to(root).as_posix()
            return [Problem(CONFIG_FILE, *_at(mark), f"'{value}' goes through '{where}', "
                            "a symlink; demodeck never "
                            "writes through one: use a real folder inside the project "
                            "(or `--out` for one elsewhere)", "output_dir")]
    return []


def _check_extra(values: dict[str, object], marks: dict[str, Mark]) -> list[Problem]:
    """``extra:`` names paths inside the output folder, and never its marker file; they
    are kept in their plain form (``./CNAME`` is ``CNAME``)."""
    problems: list[Problem] = []
    extra = values.get("extra")
    paths = [PurePosixPath(str(value)) for value in extra] if isinstance(extra, tuple) else []
    for i, pure in enumerate(paths):
        if pure.is_absolute() or ".." in pure.parts or str(pure) in (".", MARKER):
            problems.append(Problem(CONFIG_FILE, *_at(marks.get(f"extra[{i}]")),
                                    f"'{pure}' must be a path "
                                    "inside the output folder (relative, without '..')",
                                    f"extra[{i}]"))
    if paths:
        values["extra"] = tuple(str(pure) for pure in paths)
    return problems


def _check_folders(config: SiteConfig, mark: Mark | None) -> list[Problem]:
    """The output folder is replaced wholesale on every build: it must never hold sources.
    ``mark``: where demodeck.yaml sets it, if it does."""
    problems: list[Problem] = []
    out = config.output_path.resolve()
    sources = [config.root, config.decks_path.resolve(), config.templates_path.resolve()]
    if any(out == s or out in s.parents for s in sources):
        problems.append(Problem(CONFIG_FILE, *_at(mark), f"output folder '{config.output_dir}' "
                                "would overwrite your decks or templates; pick an empty "
                                "folder such as 'site'", "output_dir"))
    return problems
