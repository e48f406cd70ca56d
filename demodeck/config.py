"""Site settings from the optional ``demodeck.yaml`` at the project root."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from demodeck import schema
from demodeck.errors import BuildError, Problem, UsageError, reason
from demodeck.load import Raw, RawMap, read_file
from demodeck.model import SiteConfig
from demodeck.validate import Ctx, field_values

CONFIG_FILE = "demodeck.yaml"


def load_config(root: Path, *, output_dir: str | None = None,
                base_url: str | None = None) -> SiteConfig:
    """Read ``demodeck.yaml`` (if any) under ``root``; raises BuildError on any problem.

    ``output_dir`` and ``base_url`` override the file (they come from CLI flags).
    """
    root = root.resolve()
    values: dict[str, object] = {}
    file = root / CONFIG_FILE
    problems: list[Problem] = []
    tree: Raw | None = None
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
    problems.extend(_check_relative(values, tree))
    if output_dir is not None:  # --out may point anywhere, e.g. a CI artifacts folder
        values["output_dir"] = output_dir
    if base_url is not None:
        values["base_url"] = base_url
    config = SiteConfig(root=root, **values)  # type: ignore[arg-type]
    out_place = _value_place(tree, "output_dir") if output_dir is None else (0, 0)
    problems.extend(_check_folders(config, out_place))
    if problems:
        raise BuildError(problems)
    return config


def _value_place(tree: Raw | None, key: str) -> tuple[int, int]:
    """Line and column of ``key``'s value in demodeck.yaml; (0, 0) when the file does not
    set it (a default, or a command-line flag)."""
    if isinstance(tree, RawMap) and key in tree.entries:
        mark = tree.entries[key][1].mark
        return mark.line, mark.column
    return 0, 0


def _check_relative(values: dict[str, object], tree: Raw | None) -> list[Problem]:
    problems: list[Problem] = []
    for name in ("decks_dir", "output_dir"):
        value = values.get(name)
        if isinstance(value, str):
            pure = PurePosixPath(value)
            if pure.is_absolute() or ".." in pure.parts:
                problems.append(Problem(CONFIG_FILE, *_value_place(tree, name),
                                        f"'{value}' must be a folder "
                                        "inside the project (relative, without '..')", name))
    return problems


def _check_folders(config: SiteConfig, place: tuple[int, int]) -> list[Problem]:
    """The output folder is replaced wholesale on every build: it must never hold sources.
    ``place``: where demodeck.yaml sets it, if it does."""
    problems: list[Problem] = []
    out = config.output_path.resolve()
    sources = [config.root, config.decks_path.resolve(), config.templates_path.resolve()]
    if any(out == s or out in s.parents for s in sources):
        problems.append(Problem(CONFIG_FILE, *place, f"output folder '{config.output_dir}' "
                                "would overwrite your decks or templates; pick an empty "
                                "folder such as 'site'", "output_dir"))
    return problems
