"""SQLAlchemy 2 typed models: the source of truth for projects, scenes, takes and jobs."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Role(enum.StrEnum):
    viewer = "viewer"
    reviewer = "reviewer"
    editor = "editor"
    owner = "owner"


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    blocked = "blocked"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self not in ACTIVE


ACTIVE = (JobStatus.queued, JobStatus.running)  # a job not finished yet


class JobKind(enum.StrEnum):
    generate = "generate"  # a scene's takes, by its provider (or the animatic)
    render = "render"  # the project's cut, by the assembler


class EmailMode(enum.StrEnum):
    """What of a person's inbox is e-mailed to them too."""

    off = "off"
    mentions = "mentions"  # a mention or a reply at once; the rest stays in the inbox
    immediate = "immediate"  # everything, at once
    digest = "digest"  # everything, once a day


class User(Base):
    """A person: who signed in (their provider's issuer and subject), with the e-mail and
    name their token gave. Roles are ours, in SQL: never read from a provider's claims."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_users_issuer_subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str | None] = mapped_column(String(500))  # None until first signed in
    subject: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    disabled: Mapped[bool] = mapped_column(default=False)
    spend_per_day_usd: Mapped[float | None] = mapped_column()  # None: no limit (storage.limits)
    jobs_in_flight: Mapped[int | None] = mapped_column()
    # A guest of one review session's link: no membership, only that session's items.
    guest_link_id: Mapped[int | None] = mapped_column(ForeignKey("guest_links.id", use_alter=True))
    # What of their inbox is also e-mailed to them, and when their last digest went out.
    email_mode: Mapped[EmailMode] = mapped_column(String(16), default=EmailMode.mentions)
    digest_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Login(Base):
    """One sign-in (a provider's token), and when it was last used: one idle too long must
    sign in again, whatever the login cookie says."""

    __tablename__ = "logins"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # a hash of the token's ids
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class LocalAccount(Base):
    """A password of the studio's own identity provider (the offline default)."""

    __tablename__ = "local_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    aspect_ratio: Mapped[str] = mapped_column(String(8))
    resolution: Mapped[str] = mapped_column(String(8))
    style: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(80))
    budget_usd: Mapped[float | None]
    # The cut: cards ({text, duration, background}) and a music bed (an uploaded asset).
    title_card: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    end_card: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    music_id: Mapped[int | None] = mapped_column(
        ForeignKey("assets.id", ondelete="SET NULL", use_alter=True)
    )
    music_fade_in: Mapped[float] = mapped_column(default=2.0)
    music_fade_out: Mapped[float] = mapped_column(default=3.0)
    archived: Mapped[bool] = mapped_column(default=False)
    final_needs_approval: Mapped[bool] = mapped_column(default=False)  # final renders wait
    # Set when spending passed 80 % of the budget (its owners and editors were told), cleared
    # when it falls back under: told once per crossing.
    budget_warned_at: Mapped[datetime | None]
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(String(16))


class Invitation(Base):
    """An e-mail address asked into a project with a role, until it signs in."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("project_id", "email", name="uq_invitations_project_email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[Role] = mapped_column(String(16))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Scene(Base):
    __tablename__ = "scenes"
    __table_args__ = (Index("ix_scenes_project_position", "project_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(120))
    prompt: Mapped[str] = mapped_column(Text)
    negative_prompt: Mapped[str] = mapped_column(Text, default="")
    duration: Mapped[int]
    aspect_ratio: Mapped[str] = mapped_column(String(8))
    resolution: Mapped[str] = mapped_column(String(8))
    style: Mapped[str] = mapped_column(String(40))
    camera: Mapped[str] = mapped_column(String(40))
    seed: Mapped[int | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    continuity: Mapped[str] = mapped_column(String(16), default="none")
    model: Mapped[str] = mapped_column(String(80))
    takes: Mapped[int] = mapped_column(default=1)
    person_generation: Mapped[str] = mapped_column(String(16), default="allow_adult")
    generate_audio: Mapped[bool] = mapped_column(default=True)
    enhance_prompt: Mapped[bool] = mapped_column(default=True)
    first_frame_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    last_frame_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    # The cut into this scene ("cut", "crossfade", "fade_black", "wipe") and its seconds.
    transition: Mapped[str] = mapped_column(String(16), default="cut")
    transition_seconds: Mapped[float] = mapped_column(default=0.0)
    # Seconds of the selected take left out of the cut at its start and at its end.
    trim_in: Mapped[float] = mapped_column(default=0.0)
    trim_out: Mapped[float] = mapped_column(default=0.0)
    # [{text, start, end}], seconds into the scene.
    captions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # An earlier Veo take this scene continues with Veo's extension.
    extend_take_id: Mapped[int | None] = mapped_column(
        ForeignKey("takes.id", ondelete="SET NULL", use_alter=True)
    )
    selected_take_id: Mapped[int | None] = mapped_column(
        ForeignKey("takes.id", ondelete="SET NULL", use_alter=True)
    )
    # Set when deleted: the scene stays, with its takes and links, until undone or purged.
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AssetKind(enum.StrEnum):
    """What an upload is for: a scene's frame, an ingredient of the library (images), or
    the movie's music bed (sound)."""

    frame = "frame"
    character = "character"
    object = "object"
    style = "style"
    music = "music"

    @property
    def ingredient(self) -> bool:
        return self in INGREDIENTS

    @property
    def image(self) -> bool:
        return self is not AssetKind.music


INGREDIENTS = (AssetKind.character, AssetKind.object, AssetKind.style)


class Asset(Base):
    """An uploaded image, checked by decoding it, stored under a generated media key."""

    __tablename__ = "assets"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AssetKind] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    media_key: Mapped[str] = mapped_column(String(300))
    mime_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]  # 0 for sound
    height: Mapped[int]
    bytes: Mapped[int]
    seconds: Mapped[float | None]  # how long a sound lasts
    # Set when deleted: the file and the links stay until undone or purged.
    deleted_at: Mapped[datetime | None]
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SceneReference(Base):
    """An ingredient attached to a scene by hand (ingredients it names attach themselves)."""

    __tablename__ = "scene_references"
    __table_args__ = (UniqueConstraint("scene_id", "asset_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_created", "status", "created_at"),
        Index("ix_jobs_creator_finished", "created_by", "finished_at"),  # ended-work notices
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    scene_id: Mapped[int | None] = mapped_column(ForeignKey("scenes.id", ondelete="SET NULL"))
    kind: Mapped[JobKind] = mapped_column(String(16), default=JobKind.generate)
    status: Mapped[JobStatus] = mapped_column(String(16), default=JobStatus.queued)
    backend: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(80))
    takes: Mapped[int]
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    estimated_cost_usd: Mapped[float] = mapped_column(default=0.0)
    # What the job counts against the budget: its estimate while it runs, then what its takes
    # cost (0 for the animatic, which bills nothing).
    reserved_usd: Mapped[float] = mapped_column(default=0.0)
    attempts: Mapped[int] = mapped_column(default=0)
    # The backend's handle on remote work (a Veo operation name), saved as soon as it exists.
    operation_name: Mapped[str | None] = mapped_column(String(500))
    # When the last attempt began sending its request to the provider: set with no
    # operation name saved, the request may have been billed, so it is never resent alone.
    submitting_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))  # the engine running it
    submitted_at: Mapped[datetime | None]  # when the backend accepted it (Veo's clock starts)
    error_stage: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    # Said of a job that succeeded with less than was asked (samples blocked by safety filters).
    notice: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Take(Base):
    __tablename__ = "takes"
    __table_args__ = (UniqueConstraint("job_id", "sample_index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scene_id: Mapped[int] = mapped_column(ForeignKey("scenes.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    sample_index: Mapped[int] = mapped_column(default=0)
    backend: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(80))
    is_draft: Mapped[bool] = mapped_column(default=False)
    media_key: Mapped[str] = mapped_column(String(300))
    poster_key: Mapped[str | None] = mapped_column(String(300))
    duration: Mapped[float]
    width: Mapped[int]
    height: Mapped[int]
    fps: Mapped[float]
    codec: Mapped[str] = mapped_column(String(32))
    bytes: Mapped[int]
    seed: Mapped[int | None]
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    cost_usd: Mapped[float] = mapped_column(default=0.0)
    rating: Mapped[int | None]  # 1 to 5 stars, as the team judged it
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Movie(Base):
    """One render of a project's cut, kept with its settings so a team can compare cuts."""

    __tablename__ = "movies"
    __table_args__ = (UniqueConstraint("project_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    version: Mapped[int]
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    media_key: Mapped[str] = mapped_column(String(300))
    captions_srt_key: Mapped[str] = mapped_column(String(300))
    captions_vtt_key: Mapped[str] = mapped_column(String(300))
    otio_key: Mapped[str] = mapped_column(String(300))
    duration: Mapped[float]
    width: Mapped[int]
    height: Mapped[int]
    bytes: Mapped[int]
    render_s: Mapped[float]
    final: Mapped[bool] = mapped_column(default=False)  # asked for as final, not a draft cut
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Base):
    """A note on a take or a movie version (one of them), at ``frame`` or over frames
    ``frame``..``end_frame``, maybe with a drawing on that frame; or a reply (``parent_id``),
    which has none of those. Plain text, always shown as text."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    scene_id: Mapped[int | None] = mapped_column(ForeignKey("scenes.id", ondelete="CASCADE"))
    take_id: Mapped[int | None] = mapped_column(
        ForeignKey("takes.id", ondelete="CASCADE"), index=True
    )
    movie_id: Mapped[int | None] = mapped_column(
        ForeignKey("movies.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    frame: Mapped[int | None]
    end_frame: Mapped[int | None]
    drawing: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # shapes, 0..1 coords
    mentions: Mapped[list[int] | None] = mapped_column(JSON)  # user ids of members named
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the review session it was said in (None: elsewhere, such as the Review page)
    review_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_sessions.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Verdict(enum.StrEnum):
    approved = "approved"
    changes = "changes"  # changes requested
    rejected = "rejected"


class Decision(Base):
    """A reviewer's verdict on a take or a movie version, with a note; its item's latest
    decision is its state, the earlier ones its history."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    take_id: Mapped[int | None] = mapped_column(
        ForeignKey("takes.id", ondelete="CASCADE"), index=True
    )
    movie_id: Mapped[int | None] = mapped_column(
        ForeignKey("movies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verdict: Mapped[Verdict] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    # the review session it was taken in (None: elsewhere, such as the Review page)
    review_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_sessions.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxEntry(Base):
    """Something a person is told: a mention, a reply, a decision on their work."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    take_id: Mapped[int | None] = mapped_column(ForeignKey("takes.id", ondelete="CASCADE"))
    movie_id: Mapped[int | None] = mapped_column(ForeignKey("movies.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]  # taken into an e-mail (at once or in a digest)


class DeliveryStatus(enum.StrEnum):
    pending = "pending"  # not sent yet, or waiting to be tried again
    delivered = "delivered"
    failed = "failed"  # given up after the last attempt


class Webhook(Base):
    """An address of the owner's choosing that is told of a project's events, signed with
    ``secret`` (shown once, when made); ``events``: the kinds it wants (storage.webhooks)."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event on its way to one webhook: written in the transaction of the event (an
    outbox), sent by an engine. ``next_attempt_at`` is when it is due; an engine claims it
    by moving that forward, so no two engines send it at once."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(36))  # one event's deliveries share it
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, as signed
    status: Mapped[DeliveryStatus] = mapped_column(String(16), default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]  # the endpoint's answer to the last attempt
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class ReviewSession(Base):
    """Takes and movie versions reviewed together, in order, open from ``opens_at`` to
    ``closes_at`` (or until closed), maybe behind a passphrase; ``live_since``: a presenter
    is leading it now."""

    __tablename__ = "review_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    passphrase_hash: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None]
    live_since: Mapped[datetime | None]
    # its report as it was when it closed (review_sessions.said_in): kept so, whatever is
    # deleted later; None while it is open
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewSessionItem(Base):
    """One take or movie version of a session, at its place in the order."""

    __tablename__ = "review_session_items"
    __table_args__ = (
        UniqueConstraint("session_id", "position", name="uq_review_session_items_position"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id", ondelete="CASCADE"))
    position: Mapped[int]
    take_id: Mapped[int | None] = mapped_column(ForeignKey("takes.id", ondelete="CASCADE"))
    movie_id: Mapped[int | None] = mapped_column(ForeignKey("movies.id", ondelete="CASCADE"))


class GuestLink(Base):
    """A link into one session for people outside the team, until it expires or is
    revoked; ``label`` says whom it was made for."""

    __tablename__ = "guest_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("review_sessions.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(120))
    secret: Mapped[str] = mapped_column(String(64))  # the link's signing key, never shown
    failed_tries: Mapped[int] = mapped_column(default=0, server_default="0")  # passphrases
    locked_until: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who did what, when, to which project. Kept when the project is deleted (its name
    stays), so an admin can still read what happened to it."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    project_name: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
