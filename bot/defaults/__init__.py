"""The defaults shipped inside the package: lexicon, gazetteer, feeds, Slack manifest, seeds.

They live at the top of the repository (``config/``, ``seeds/``, where the README points);
``bot/defaults/config`` and ``bot/defaults/seeds`` are links to them, so a wheel, a plain
``pip install .`` and the Docker image carry copies and find them wherever they run,
through importlib.resources. An operator overrides one file by putting its namesake in
``AINEWS_CONFIG_DIR`` or in ``config/`` of the working directory (checked in that order);
files not overridden keep the packaged version.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: ``config/`` relative to the working directory: a per-file override of the packaged config.
LOCAL_CONFIG = Path("config")


def _package_dir(name: str) -> Path:
    """``config`` or ``seeds`` inside the installed package (or the checkout, editable)."""
    folder = files(__name__) / name
    if not isinstance(folder, Path) or not folder.is_dir():  # e.g. a zip import
        raise FileNotFoundError(f"the package data bot/defaults/{name} is not installed")
    return folder


def packaged_config_dir() -> Path:
    return _package_dir("config")


def packaged_seeds_dir() -> Path:
    return _package_dir("seeds")


def config_dirs(config_dir: Path | None = None) -> list[Path]:
    """Where a config file is looked for, first match wins."""
    found = [config_dir] if config_dir else []
    return [*found, LOCAL_CONFIG, packaged_config_dir()]


def config_path(name: str, config_dir: Path | None = None) -> Path:
    """``name`` from the first folder of :func:`config_dirs` that has it (else the packaged
    path, so a missing file is named where it should have been)."""
    folders = config_dirs(config_dir)
    return next((f / name for f in folders if (f / name).is_file()), folders[-1] / name)


def shown(path: Path) -> str:
    """A folder as a user would type it, with a trailing slash: relative under the working
    directory; ``seeds/`` for the packaged seeds, so seed articles get the same URL from a
    checkout and from a wheel; else absolute."""
    absolute = path.absolute()
    if absolute.resolve() == packaged_seeds_dir().resolve():
        return "seeds/"
    if absolute.is_relative_to(Path.cwd()):
        return absolute.relative_to(Path.cwd()).as_posix() + "/"
    return absolute.as_posix() + "/"
