"""Prometheus metrics. One registry per process, passed around (no module-level state)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.commands = Counter(
            "ainews_commands", "Commands handled", ["kind", "outcome"], registry=r
        )
        self.latency = Histogram(
            "ainews_command_seconds",
            "Command latency",
            ["kind"],
            registry=r,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5),
        )
        self.digests = Counter("ainews_digests", "Digest deliveries", ["result"], registry=r)
        self.updates = Counter(
            "ainews_story_updates", "Story updates in digest threads", ["result"], registry=r
        )
        self.fetches = Counter("ainews_feed_fetches", "Feed fetches", ["result"], registry=r)
        self.articles = Gauge("ainews_index_articles", "Articles stored", registry=r)
        self.vectors = Gauge("ainews_index_vectors", "Passage vectors in memory", registry=r)
        # Model replies (bot.llm): shown, or replaced by the extractive text and why.
        self.llm_generated = Counter(
            "ainews_llm_generated", "Model replies shown", ["kind"], registry=r
        )
        self.llm_fallbacks = Counter(
            "ainews_llm_fallbacks",
            "Model replies replaced by the extractive text",
            ["kind", "fallback_reason"],
            registry=r,
        )
        self.leader = Gauge(
            "ainews_scheduler_leader", "1 if this replica runs the jobs", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
