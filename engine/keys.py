"""Names of the Redis keys the studio and the engines share."""

from __future__ import annotations

from dataclasses import dataclass

GROUP = "engines"
PROGRESS_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Keys:
    prefix: str = "veogen"

    @property
    def stream(self) -> str:
        return f"{self.prefix}:jobs"

    def progress(self, job_id: int) -> str:
        return f"{self.prefix}:job:{job_id}:progress"

    def cancel(self, job_id: int) -> str:
        return f"{self.prefix}:job:{job_id}:cancel"

    @property
    def compaction_lock(self) -> str:
        return f"{self.prefix}:lock:metrics-compaction"

    @property
    def reconcile_lock(self) -> str:
        return f"{self.prefix}:lock:reconcile"

    @property
    def quota_hold(self) -> str:
        """Set while Veo answers 429: no engine submits new work until it expires."""
        return f"{self.prefix}:veo:quota-hold"

    @property
    def quota_held_since(self) -> str:
        """When the quota holds began (kept while holds follow each other closely)."""
        return f"{self.prefix}:veo:quota-held-since"

    def engine_alive(self, name: str) -> str:
        """Set by a live engine every half second; it expires when the engine is gone."""
        return f"{self.prefix}:engine:{name}:alive"

    def orphan(self, job_id: int) -> str:
        """When a running job was first seen with its engine gone."""
        return f"{self.prefix}:job:{job_id}:orphaned-since"
