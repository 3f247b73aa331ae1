"""Local inputs: every bad file is named with a reason, and nothing else is lost."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bot.core import Core
from bot.ingest.files import iter_path
from bot.ingest.types import IngestError, RawArticle

LATIN1_TEXT = (
    "TECNOLOGÍA\n\nPublicado 02/03/2026\n\nNvidia presenta un nuevo chip en España\n\n"
    "La compañía estadounidense Nvidia presentó en Madrid su nuevo chip para centros de datos, "
    "con más memoria y menor consumo energético según la empresa.\n"
)


def _ingest(core: Core, *paths: Path | str):  # type: ignore[no-untyped-def]
    return core.ingester.ingest(item for p in paths for item in iter_path(str(p)))


def test_latin1_file_is_read_and_flagged(core: Core, tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(LATIN1_TEXT.encode("latin-1"))
    report = _ingest(core, path)
    assert len(report.new) == 1
    assert report.new[0].title == "Nvidia presenta un nuevo chip en España"
    assert "Latin-1" in (report.new[0].notice or "")


def test_binary_and_unreadable_files_fail_clearly_and_others_survive(
    core: Core, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a_good.txt").write_text(LATIN1_TEXT, encoding="utf-8")
    (folder / "b_binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "c_broken.txt").symlink_to(folder / "missing-target.txt")
    locked = folder / "d_locked.md"
    locked.write_text("# T\n\nbody text here.", encoding="utf-8")
    real_open = os.open

    def open_file(path: str | os.PathLike[str], flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).name == "d_locked.md":  # root ignores chmod 000, so simulate EACCES
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_file)
    report = _ingest(core, folder)
    reasons = {Path(o.label).name: o.reason for o in report.failed}
    assert reasons["b_binary.txt"] == "binary file, not text"
    assert reasons["c_broken.txt"].startswith("cannot read the file")
    assert reasons["d_locked.md"] == "cannot read the file: permission denied"
    assert [o.title for o in report.new] == ["Nvidia presenta un nuevo chip en España"]


def test_missing_path_and_unsupported_type(core: Core, tmp_path: Path) -> None:
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    report = _ingest(core, tmp_path / "nope", tmp_path / "image.png")
    assert [o.reason for o in report.failed] == [
        "no such file or folder",
        "unsupported file type .png",
    ]


def test_jsonl_lines_are_articles_and_bad_lines_are_named(core: Core, tmp_path: Path) -> None:
    rows = [
        {
            "title": "OpenAI ships a model",
            "body": "OpenAI released a new model today.",
            "date": "2026-02-01",
            "url": "https://example.com/a?utm_source=x",
            "lang": "en",
        },
        {
            "title": "Mistral raises money",
            "body": "Mistral raised a new round in Paris.",
            "date": "None",
            "url": "None",
            "lang": "en",
        },
    ]
    lines = [json.dumps(r) for r in rows] + ["{not json", "[1, 2]"]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = _ingest(core, path)
    assert len(report.new) == 2
    assert {o.label: o.reason for o in report.failed} == {
        f"{path}:3": "invalid JSON (Expecting property name enclosed in double quotes)",
        f"{path}:4": "each line must be a JSON object",
    }


def test_markdown_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(
        "---\ntitle: DeepSeek publica R2\ndate: 2026-03-01\n---\n\nDeepSeek publicó hoy "
        "su modelo R2 con **pesos abiertos** y una [licencia MIT](https://x.y).\n",
        encoding="utf-8",
    )
    (item,) = list(iter_path(str(path)))
    assert isinstance(item.result, RawArticle)
    assert item.result.title == "DeepSeek publica R2"
    assert (
        item.result.body
        == "DeepSeek publicó hoy su modelo R2 con pesos abiertos y una licencia MIT."
    )
    assert item.result.published_at and item.result.published_at.year == 2026
    assert item.result.lang == "es"


def test_empty_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("   \n\n", encoding="utf-8")
    (item,) = list(iter_path(str(path)))
    assert isinstance(item.result, IngestError)
    assert str(item.result) == "no article text found"


def test_markdown_wrapped_paragraphs_keep_every_line(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.md"
    path.write_text(
        "---\ntitle: Qwen passes one billion downloads\n---\n\nAlibaba's Qwen models passed\n"
        "one billion downloads, the company\nsaid on Tuesday.\n\nSecond paragraph.\n- a\n- b\n",
        encoding="utf-8",
    )
    (item,) = list(iter_path(str(path)))
    assert isinstance(item.result, RawArticle)
    assert item.result.body == (
        "Alibaba's Qwen models passed one billion downloads, the company said on Tuesday."
        "\n\nSecond paragraph.\n\n- a\n\n- b"
    )
