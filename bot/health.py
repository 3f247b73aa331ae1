"""What /healthz reports: is this replica able to answer and deliver right now?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core import Core
from bot.leader import Leadership
from bot.ports import Adapter


def health(
    core: Core, adapters: Sequence[Adapter], leadership: Leadership | None
) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    try:
        core.ping_database()
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not healthy", with the reason
        checks["database"] = f"unavailable: {type(exc).__name__}"
    loaded = getattr(core.embedder, "loaded", True)
    checks["model"] = "loaded" if loaded else "not loaded"
    checks["adapters"] = {
        a.platform: ("connected" if a.connected else "disconnected") for a in adapters
    }
    checks["scheduler_leader"] = bool(leadership and leadership.is_leader)
    checks["indexed_vectors"] = len(core.vectors)
    ok = checks["database"] == "ok" and loaded and all(a.connected for a in adapters)
    return {"ok": ok, **checks}
