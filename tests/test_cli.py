"""The ``ainews`` command as a new user runs it: a subprocess in a fresh working folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEEDS

AINEWS = str(Path(sys.executable).with_name("ainews"))


def run(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AINEWS_DATA_DIR": str(cwd / "data"), "HF_HUB_OFFLINE": "1"}
    env.pop("AINEWS_DATABASE_URL", None)
    return subprocess.run(
        [AINEWS, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=240
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cwd = tmp_path_factory.mktemp("user")
    shutil.copytree(SEEDS, cwd / "seeds")
    return cwd


@pytest.mark.model
def test_ingest_seeds_twice_then_search_json_and_stats(workdir: Path) -> None:
    first = run(workdir, "ingest", "seeds/")
    assert first.returncode == 0, first.stderr
    assert "3 new, 0 duplicate, 0 failed" in first.stdout
    second = run(workdir, "ingest", "seeds/")
    assert second.returncode == 0
    assert "0 new, 3 duplicate, 0 failed (already stored: nothing changed)" in second.stdout

    found = run(workdir, "search", "descargas de Qwen", "--json")
    assert found.returncode == 0, found.stderr
    payload = json.loads(found.stdout)
    assert payload["query"] == "descargas de Qwen"
    top = payload["results"][0]
    assert set(top) == {"id", "title", "url", "source", "published_at", "lang", "score", "snippet"}
    assert top["url"] == "seeds/004_cfe0271cdde873fb.txt"
    assert top["published_at"] == "2026-01-13"

    stats = json.loads(run(workdir, "stats", "--json").stdout)
    assert stats["articles"] == 3


def test_failed_inputs_are_named_and_the_rest_is_ingested(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "blob.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "in" / "nota.txt").write_bytes(
        "Nota breve\n\nEl chip H20 de Nvidia vuelve a China según la prensa.\n".encode("latin-1")
    )
    result = run(tmp_path, "ingest", "in/", "missing.txt")
    assert result.returncode == 1
    assert "FAILED  in/blob.txt: binary file, not text" in result.stdout
    assert "FAILED  missing.txt: no such file or folder" in result.stdout
    assert "note    in/nota.txt: not UTF-8: read as Latin-1/Windows-1252" in result.stdout
    assert "1 new, 0 duplicate, 2 failed" in result.stdout


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "The query is empty"),
        ("¿" + "qué " * 2500, "La búsqueda es demasiado larga (10000 caracteres; máximo 500)"),
    ],
)
def test_bad_queries_fail_fast_with_a_message(tmp_path: Path, query: str, expected: str) -> None:
    result = run(tmp_path, "search", query)
    assert result.returncode == 2
    assert expected in result.stderr


def test_subscriptions_import_names_and_skips_bad_lines_then_list_and_remove(
    tmp_path: Path,
) -> None:
    """Bulk provisioning (issue 25): the same checks and messages as ``/ainews subscribe``."""
    lines = [
        {
            "platform": "slack",
            "workspace": "T1",
            "channel": "C1",
            "time": "09:00",
            "timezone": "Europe/Madrid",
            "lang": "es",
            "topics": ["Qwen", '"Hugging Face"'],
        },
        {
            "platform": "discord",
            "workspace": "G1",
            "channel": "111",
            "time": "18:30",
            "timezone": "America/New_York",
            "lang": "en",
        },
        {
            "platform": "slack",
            "workspace": "T1",
            "channel": "C2",
            "time": "25:00",
            "timezone": "UTC",
            "lang": "en",
        },
        {
            "platform": "slack",
            "workspace": "T1",
            "channel": "C3",
            "time": "09:00",
            "timezone": "UTC",
            "lang": "fr",
        },
        "not json at all",
    ]
    file = tmp_path / "subs.jsonl"
    file.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    imported = run(tmp_path, "subscriptions", "import", str(file), "--json")
    assert imported.returncode == 1, imported.stderr
    report = json.loads(imported.stdout)
    assert report["added"] == 2
    assert [s["line"] for s in report["skipped"]] == ["line 3", "line 4", "line 5"]
    assert "25:00" in report["skipped"][0]["reason"]
    assert "fr" in report["skipped"][1]["reason"]
    assert "Traceback" not in imported.stderr

    listed = json.loads(run(tmp_path, "subscriptions", "list", "--json").stdout)
    subs = {s["channel"]: s for s in listed["subscriptions"]}
    assert set(subs) == {"C1", "111"}
    assert (subs["C1"]["time"], subs["C1"]["timezone"], subs["C1"]["lang"]) == (
        "09:00",
        "Europe/Madrid",
        "es",
    )

    again = run(tmp_path, "subscriptions", "import", str(file), "--json")
    assert json.loads(again.stdout)["added"] == 2  # updated in place, not doubled
    listed = json.loads(run(tmp_path, "subscriptions", "list", "--json").stdout)
    assert len(listed["subscriptions"]) == 2

    removed = run(tmp_path, "subscriptions", "remove", "discord", "G1", "111", "--json")
    assert removed.returncode == 0 and json.loads(removed.stdout) == {"ok": True}
    listed = json.loads(run(tmp_path, "subscriptions", "list", "--json").stdout)
    assert [s["channel"] for s in listed["subscriptions"]] == ["C1"]


def test_listing_commands_take_json_before_or_after_the_action(tmp_path: Path) -> None:
    for argv in (
        ("subscriptions", "--json"),
        ("subscriptions", "list", "--json"),
        ("sources", "--json"),
        ("sources", "--json", "list"),
    ):
        proc = run(tmp_path, *argv)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) in ({"subscriptions": []}, {"sources": []}), argv
    current = json.loads(run(tmp_path, "db", "current", "--json").stdout)
    assert current["at_head"] is True and current["current"] == [current["head"]]
    assert run(tmp_path, "--version").stdout.startswith("ainews ")
