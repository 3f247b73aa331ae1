"""Packaged config files, and the per-file overrides: AINEWS_CONFIG_DIR, then ./config/."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.defaults import packaged_config_dir, packaged_seeds_dir, shown
from bot.settings import load_settings


def test_packaged_files_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config here
    monkeypatch.delenv("AINEWS_CONFIG_DIR", raising=False)
    settings = load_settings()
    assert settings.lexicon_path == packaged_config_dir() / "lexicon_es_en.tsv"
    assert settings.gazetteer_path.is_file() and settings.feeds_path.is_file()
    assert settings.seeds_dir == packaged_seeds_dir() and shown(settings.seeds_dir) == "seeds/"


def test_overrides_file_by_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "lexicon_es_en.tsv").write_text("descargas\tdownloads\n")
    (tmp_path / "config" / "feeds.toml").write_text("")
    ops = tmp_path / "ops"
    ops.mkdir()
    (ops / "feeds.toml").write_text('[[feed]]\nurl = "https://example.com/f"\nname = "F"\n')
    monkeypatch.setenv("AINEWS_CONFIG_DIR", str(ops))
    settings = load_settings()
    assert settings.feeds_path == ops / "feeds.toml"  # AINEWS_CONFIG_DIR first
    assert settings.lexicon_path == Path("config/lexicon_es_en.tsv")  # then ./config
    assert settings.gazetteer_path == packaged_config_dir() / "entities.toml"  # then the package
    explicit = load_settings(lexicon_path=tmp_path / "mine.tsv")
    assert explicit.lexicon_path == tmp_path / "mine.tsv"
