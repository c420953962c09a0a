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
    def engines(self) -> str:
        return f"{self.prefix}:engines"
