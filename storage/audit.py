"""An append-only record of who changed what."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storage.models import AuditEvent, User


def record(
    s: Session, actor: User | None, action: str, project_id: int | None, **details: Any
) -> None:
    s.add(
        AuditEvent(
            project_id=project_id,
            user_id=actor.id if actor else None,
            action=action,
            details=details,
        )
    )
