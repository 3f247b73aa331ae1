"""The built wheel works anywhere: installed outside the checkout, run from an empty folder.

``pip wheel .`` builds the wheel; it goes into a fresh virtualenv under the test's temporary
folder. To stay fast (no 2 GB of torch again), that virtualenv sees the test environment's
installed dependencies through a ``.pth`` line, which adds a folder but runs none of its own
``.pth`` hooks: the checkout's editable install stays invisible, so every ``bot`` module,
config file, seed and migration comes from the wheel. The bot then runs as a new user
would: ``ainews run`` on an empty database in an empty folder, questions on stdin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from checkout import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.model]


class Install:
    def __init__(self, venv: Path, home: Path) -> None:
        self.venv, self.home = venv, home
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AINEWS_", "SLACK_", "DISCORD_", "PYTHON"))
        }
        self.env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            cwd=self.home,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=240,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Install]:
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*build, "-w", str(dist), str(PROJECT_ROOT)], check=True, cwd=tmp)
    wheel = next(dist.glob("ainews-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "test-deps.pth").write_text("".join(f"{d}\n" for d in sorted(deps)))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install"]
        + ["--no-deps", "-q", str(wheel)],
        check=True,
    )
    home = tmp / "elsewhere"
    home.mkdir()
    yield Install(venv, home)


def test_version_is_the_pyproject_version(installed: Install) -> None:
    version = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["version"]
    proc = installed.run("ainews", "--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"ainews {version}"
    assert (PROJECT_ROOT / "LICENSE").read_text().startswith("MIT License")


def test_everything_comes_from_the_wheel(installed: Install) -> None:
    probe = (
        "import json, bot, bot.migrations as m; from bot.settings import load_settings; "
        "s = load_settings(); print(json.dumps([bot.__file__, str(m.MIGRATIONS_DIR), "
        "str(s.lexicon_path), str(s.gazetteer_path), str(s.feeds_path), str(s.seeds_dir)]))"
    )
    proc = installed.run("python", "-c", probe)
    assert proc.returncode == 0, proc.stderr
    paths = [Path(p) for p in json.loads(proc.stdout)]
    for path in paths:
        assert path.is_relative_to(installed.venv), f"{path} is not from the wheel"
        assert path.exists(), path
    assert len(list(paths[-1].glob("*.txt"))) == len(list((PROJECT_ROOT / "seeds").glob("*.txt")))


def test_a_new_user_runs_it_from_an_empty_folder(installed: Install) -> None:
    doctor = installed.run("ainews", "doctor", "--quick", "--json")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    checks = {c["area"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["settings"]["status"] == "ok", checks["settings"]  # lexicon + gazetteer found
    assert "seed files" in checks["seeds"]["summary"], checks["seeds"]

    chat = installed.run(
        "ainews",
        "run",
        stdin="¿cuántas descargas tiene Qwen?\nhow many downloads do Qwen models have?\n",
    )
    assert chat.returncode == 0, chat.stderr
    assert "loading the articles in seeds" in chat.stdout, chat.stdout
    spanish, english = chat.stdout.split("In short:")
    assert "En resumen: 700 millones de descargas" in spanish, chat.stdout
    # An English question, a Spanish article: the answer cites it, under the same seed URL
    # a checkout gives it.
    assert english.startswith(" 700 million downloads"), chat.stdout
    assert "seeds/004_cfe0271cdde873fb.txt" in english, chat.stdout

    stats = json.loads(installed.run("ainews", "stats", "--json").stdout)
    assert stats["articles"] == 3
    current = installed.run("ainews", "db", "current")
    assert "(head)" in current.stdout, current.stdout + current.stderr
    assert (installed.home / "data" / "ainews.db").is_file()
