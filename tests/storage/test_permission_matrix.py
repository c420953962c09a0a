"""The permission matrix: who may do each data-layer operation, walked against the data
layer on SQLite and PostgreSQL by a non-member, each role and an admin.

``ROWS`` is the matrix. docs/permissions.md shows the same table (checked here, so the
two cannot drift), and an operation that acts for someone but has no row fails
``test_every_operation_that_acts_for_someone_has_a_row``, naming it.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import itertools
import pkgutil
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy import select, update

import storage
from storage import (
    accounts,
    analytics,
    assets,
    audit,
    comments,
    cut,
    decisions,
    email_prefs,
    inbox,
    jobs,
    limits,
    members,
    notices,
    projects,
    reports,
    review_exports,
    review_sessions,
    revisions,
    scenes,
    storyboard,
    take_notes,
    users,
    webhooks,
)
from storage.contract import Generated, NewMovie, NewTake
from storage.db import Database
from storage.errors import NotFound, PermissionDenied, StudioError
from storage.media import LocalMediaStore
from storage.models import Base, LocalAccount, Membership, Role, User, utcnow
from tests.clips import png

MODEL = "veo-3.1-fast-generate-001"
DOC = Path(__file__).parents[2] / "docs" / "permissions.md"
SIGNED_IN: Final = "anyone signed in"
ADMIN: Final = "admin"
OWNER_OR_ADMIN: Final = "owner or admin"  # an admin reads every project's audit, member or not
Minimum = Role | Literal["anyone signed in", "admin", "owner or admin"]
# The walk's actors, as the doc's columns: "admin" is an admin of the studio who is no
# member of the project (an admin's instance powers give no project rights).
COLUMNS = ("non-member", "viewer", "reviewer", "editor", "owner", "admin")
HEADINGS = {"admin": "admin (not a member)"}
# The roles' order, written here rather than read from storage.permissions.RANK: the
# matrix must not follow the code it checks.
LADDER = (Role.viewer, Role.reviewer, Role.editor, Role.owner)


@dataclass(frozen=True)
class Cast:
    """The people, made once per database; their roles are given per project."""

    owner: User
    viewer: User
    reviewer: User
    editor: User
    stranger: User
    admin: User
    kit: User  # an editor whose role the owner changes, who is removed or made owner
    nia: User  # a user the owner adds to the team
    sol: User  # the user an admin changes
    account: str  # the e-mail of a local account whose password an admin sets

    @property
    def actors(self) -> dict[str, User]:
        return {
            "non-member": self.stranger,
            "viewer": self.viewer,
            "reviewer": self.reviewer,
            "editor": self.editor,
            "owner": self.owner,
            "admin": self.admin,
        }


def made_cast(db: Database) -> Cast:
    def person(name: str) -> User:
        return users.get_or_create_user(db, f"{name.lower()}@example.com", name)

    admin = person("Ada")
    account = "acct@example.com"
    with db.session() as s:  # an admin and an account made directly: what is tested is their use
        s.execute(update(User).where(User.id == admin.id).values(is_admin=True))
        s.add(LocalAccount(email=account, name="Acct", password_hash="not a real hash"))
    return Cast(
        users.local_user(db),
        person("Vic"),
        person("Rae"),
        person("Eddie"),
        person("Stranger"),
        admin,
        person("Kit"),
        person("Nia"),
        person("Sol"),
        account,
    )


@dataclass(frozen=True)
class World:
    """A project as the walk finds it: a team, scenes with takes, a deleted scene, the
    library with a deleted upload, a queued job, an unconfirmed one, a rendered movie and
    an invitation."""

    db: Database
    media: LocalMediaStore
    cast: Cast
    pid: int
    name: str
    scene: int  # with a selected take
    other_scene: int  # with a selected take too
    deleted_scene: int
    take: int
    asset: int
    deleted_asset: int
    queued_job: int
    unconfirmed_job: int
    invited: str
    comment: int  # on the take
    webhook: int  # the owner's, with a delivery of the comment
    asked_take: int  # the other scene's take, with changes requested
    board: Path  # a storyboard file to import
    since: datetime  # before any job of this world ended
    session: int  # a review session of the take, open for a day
    link: int  # a guest link into it

    @property
    def secrets(self) -> tuple[str, ...]:
        """What a non-member's refusal must never name."""
        return (self.name, "Quayside", "Lanternlight", "Wreckage")


def seeded(db: Database, media: LocalMediaStore, cast: Cast, board: Path, n: int) -> World:
    """A project of its own, made through the data layer but for its team, inserted at once
    (add_member, a transaction per member, has a row of its own)."""
    since, owner = utcnow(), cast.owner
    name = f"Harbour-{n}"
    pid = projects.create_project(db, owner, {"name": name}, MODEL).id
    team = [(cast.viewer, Role.viewer), (cast.reviewer, Role.reviewer), (cast.editor, Role.editor)]
    with db.session() as s:
        s.add_all(
            Membership(project_id=pid, user_id=user.id, role=role)
            for user, role in [*team, (cast.kit, Role.editor)]
        )
    invited = "invited@example.com"  # never signed in: the invitation waits
    members.invite(db, owner, pid, invited, "viewer")
    rows = [{"title": t, "prompt": f"{t.lower()} at dawn"} for t in ("Quayside", "Lanternlight")]
    scene, other, deleted = scenes.add_scenes(
        db, owner, pid, [*rows, {"title": "Wreckage", "prompt": "a wreck"}]
    )
    takes = []
    for job in jobs.create_generation_jobs(db, owner, pid, True, [scene.id, other.id]):
        jobs.claim_job(db, job.id)
        take = NewTake(0, f"takes/{job.id}.mp4", None, 4.0, 1280, 720, 24.0, "h264", 1, 7, 0.0)
        takes += jobs.complete_job(db, job.id, Generated((take,))) or []  # each one selected
    scenes.delete_scene(db, media, owner, deleted.id)
    asset = assets.add_asset(db, media, owner, pid, "character", "Mara", png())
    gone = assets.add_asset(db, media, owner, pid, "object", "Oar", png())
    assets.delete_asset(db, media, owner, gone.id)
    render = cut.create_render_job(db, owner, pid, {})
    jobs.claim_job(db, render.id)
    movie = NewMovie("m.mp4", "m.srt", "m.vtt", "m.otio", 8.0, 1280, 720, 1000, 1.0)
    assert cut.complete_render(db, render.id, movie)
    webhook = webhooks.add_webhook(db, owner, pid, "https://hooks.example.com/veogen").hook.id
    comment = comments.add_comment(db, owner, takes[0].id, None, "warmer light", 10)
    decisions.decide(db, owner, takes[1].id, None, "changes", "slower, please")
    queued, unconfirmed = jobs.create_generation_jobs(db, owner, pid, True, [scene.id, other.id])
    jobs.claim_job(db, unconfirmed.id)
    jobs.fail_job(db, unconfirmed.id, jobs.UNCONFIRMED, "its answer was lost")
    session = review_sessions.create_session(
        db, owner, pid, "Dailies", [(takes[0].id, None)], since, since + timedelta(days=1)
    )
    link = review_sessions.add_link(db, owner, session.id, "Client", since + timedelta(days=1))
    return World(
        db, media, cast, pid, name, scene.id, other.id, deleted.id, takes[0].id, asset.id,
        gone.id, queued.id, unconfirmed.id, invited, comment.id, webhook, takes[1].id, board,
        since, session.id, link.id,
    )  # fmt: skip


@dataclass(frozen=True)
class Args:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


def given(*args: Any, **kwargs: Any) -> Args:
    return Args(args, kwargs)


def on_project(w: World, a: User) -> Args:
    return given(w.db, a, w.pid)


def on_instance(w: World, a: User) -> Args:
    return given(w.db, a)


def listed(result: Any, w: World) -> bool:
    return w.pid in {p.project.id for p in result}


def named(result: Any, w: World) -> bool:
    return w.pid in result


@dataclass(frozen=True)
class Row:
    does: str  # in words, for the doc
    operation: Callable[..., Any]
    minimum: Minimum
    call: Callable[[World, User], Args]  # the operation's arguments, for an actor
    writes: bool = True  # a read must change nothing, even when allowed
    # What of the project an allowed call uses up or needs untouched (World's fields;
    # "project": all of it). Such a call runs in a project seeded aside, shared only with
    # calls by the same actor that use other parts: a delete or a cancel happens once.
    uses: tuple[str, ...] = ()
    # For listings open to anyone: whether the result shows the project, which it must
    # to those ``shown_to`` allows only.
    shows: Callable[[Any, World], bool] | None = None
    shown_to: Minimum = Role.viewer

    @property
    def name(self) -> str:
        return f"{self.operation.__module__.removeprefix('storage.')}.{self.operation.__name__}"


# fmt: off
ROWS: tuple[Row, ...] = (
    # projects
    Row("Create a project", projects.create_project, SIGNED_IN,
        lambda w, a: given(w.db, a, {"name": f"Made by {a.name}"}, MODEL)),
    Row("List my projects", projects.list_projects, SIGNED_IN, on_instance,
        writes=False, shows=listed),
    Row("Count my projects", projects.count_projects, SIGNED_IN,
        lambda w, a: given(w.db, a, search=w.name),
        writes=False, shows=lambda result, w: result > 0),
    Row("Name my projects", projects.project_names, SIGNED_IN, on_instance,
        writes=False, shows=named),
    Row("Chart my projects (analytics)", analytics.visible_projects, SIGNED_IN, on_instance,
        writes=False, shows=named),
    Row("Chart my projects as filtered, with budgets and people (analytics)", analytics.scope_for,
        SIGNED_IN, on_instance, writes=False,
        shows=lambda result, w: w.pid in result.projects),
    Row("Hear about my jobs that ended", notices.ended_since, SIGNED_IN,
        lambda w, a: given(w.db, a, w.since), writes=False),
    Row("Read my inbox", inbox.inbox, SIGNED_IN, on_instance, writes=False),
    Row("Count my unread inbox", inbox.unread, SIGNED_IN, on_instance, writes=False),
    Row("Mark my inbox read", inbox.mark_read, SIGNED_IN, on_instance),
    Row("See what of my inbox is e-mailed to me", email_prefs.email_mode, SIGNED_IN,
        on_instance, writes=False),
    Row("Choose what of my inbox is e-mailed to me", email_prefs.set_email_mode, SIGNED_IN,
        lambda w, a: given(w.db, a, a.id, "digest")),
    Row("Import a storyboard as a new project", storyboard.import_storyboard, SIGNED_IN,
        lambda w, a: given(w.db, a, w.board, MODEL, w.media)),
    Row("Open a project", projects.get_project, Role.viewer, on_project, writes=False),
    Row("Open a project, with my role on it", projects.open_project, Role.viewer, on_project,
        writes=False),
    Row("See a project's status report", reports.project_status, Role.viewer, on_project,
        writes=False),
    Row("Export the storyboard", storyboard.export_storyboard, Role.viewer, on_project,
        writes=False),
    Row("Change a project's name and defaults", projects.update_project, Role.owner,
        lambda w, a: given(w.db, a, w.pid, {"description": "at low tide"})),
    Row("Archive or restore a project", projects.set_archived, Role.owner,
        lambda w, a: given(w.db, a, w.pid, False)),
    Row("Delete a project", projects.delete_project, Role.owner,
        lambda w, a: given(w.db, w.media, a, w.pid), uses=("project",)),
    # the team
    Row("See the team", members.list_members, Role.viewer, on_project, writes=False),
    Row("See the invitations", members.list_invitations, Role.owner, on_project, writes=False),
    Row("Invite by e-mail", members.invite, Role.owner,
        lambda w, a: given(w.db, a, w.pid, "guest@example.com", "reviewer")),
    Row("Add a known user", members.add_member, Role.owner,
        lambda w, a: given(w.db, a, w.pid, w.cast.nia, Role.viewer)),
    Row("Change a member's role", members.change_role, Role.owner,
        lambda w, a: given(w.db, a, w.pid, w.cast.kit.id, "reviewer")),
    Row("Cancel an invitation", members.cancel_invitation, Role.owner,
        lambda w, a: given(w.db, a, w.pid, w.invited), uses=("invited",)),
    Row("Remove a member", members.remove_member, Role.owner,
        lambda w, a: given(w.db, a, w.pid, w.cast.kit.id), uses=("kit",)),
    Row("Transfer the ownership", members.transfer_ownership, Role.owner,
        lambda w, a: given(w.db, a, w.pid, w.cast.kit.id), uses=("project",)),
    # webhooks: the owner's, since they send the project's news out of the studio
    Row("See the webhooks", webhooks.list_webhooks, Role.owner, on_project, writes=False),
    Row("Add a webhook", webhooks.add_webhook, Role.owner,
        lambda w, a: given(w.db, a, w.pid, "https://hooks.example.com/more")),
    Row("Read a webhook's deliveries", webhooks.delivery_log, Role.owner,
        lambda w, a: given(w.db, a, w.webhook), writes=False),
    Row("Delete a webhook", webhooks.delete_webhook, Role.owner,
        lambda w, a: given(w.db, a, w.webhook), uses=("webhook",)),
    # scenes and takes
    Row("List the scenes", scenes.list_scenes, Role.viewer, on_project, writes=False),
    Row("Open a scene", scenes.get_scene, Role.viewer,
        lambda w, a: given(w.db, a, w.scene), writes=False),
    Row("List the takes", scenes.list_takes, Role.viewer, on_project, writes=False),
    Row("Rate and note a take", take_notes.rate_take, Role.reviewer,
        lambda w, a: given(w.db, a, w.take, 4, "the light is right")),
    Row("Add scenes", scenes.add_scenes, Role.editor,
        lambda w, a: given(w.db, a, w.pid, [{"prompt": "a gull"}])),
    Row("Add a scene", scenes.add_scene, Role.editor,
        lambda w, a: given(w.db, a, w.pid, {"prompt": "a gull"})),
    Row("Edit a scene", scenes.update_scene, Role.editor,
        lambda w, a: given(w.db, a, w.scene, {"notes": "slower"})),
    Row("Duplicate a scene", scenes.duplicate_scene, Role.editor,
        lambda w, a: given(w.db, a, w.scene)),
    Row("Move a scene", scenes.move_scene, Role.editor,
        lambda w, a: given(w.db, a, w.scene, 0)),
    Row("Delete a scene", scenes.delete_scene, Role.editor,
        lambda w, a: given(w.db, w.media, a, w.other_scene), uses=("other_scene",)),
    Row("Undo a scene's delete", scenes.restore_scene, Role.editor,
        lambda w, a: given(w.db, a, w.deleted_scene), uses=("deleted_scene",)),
    Row("Choose a scene's take", scenes.select_take, Role.editor,
        lambda w, a: given(w.db, a, w.scene, w.take)),
    # review: reviewers comment and decide, editors also resolve
    Row("Read the comments on a take", comments.list_comments, Role.viewer,
        lambda w, a: given(w.db, a, w.take), writes=False),
    Row("Hear that a take's review moved (the live page)", comments.review_mark, Role.viewer,
        lambda w, a: given(w.db, a, w.take), writes=False),
    Row("Comment at a frame", comments.add_comment, Role.reviewer,
        lambda w, a: given(w.db, a, w.take, None, "more light", 5)),
    Row("Reply to a comment", comments.reply, Role.reviewer,
        lambda w, a: given(w.db, a, w.comment, "agreed")),
    Row("Resolve or reopen a comment", comments.resolve, Role.editor,
        lambda w, a: given(w.db, a, w.comment, True)),
    Row("Export a take's comments (CSV, EDL, OTIO)", review_exports.export_comments,
        Role.viewer, lambda w, a: given(w.db, w.media, a, w.take, None, "edl"), writes=False),
    Row("Read a take's decisions", decisions.history, Role.viewer,
        lambda w, a: given(w.db, a, w.take), writes=False),
    Row("Approve, request changes or reject", decisions.decide, Role.reviewer,
        lambda w, a: given(w.db, a, w.take, None, "approved")),
    Row("See where the review stands", decisions.review_state, Role.viewer, on_project,
        writes=False),
    Row("See a scene's rounds (takes, costs, decisions)", revisions.rounds, Role.viewer,
        lambda w, a: given(w.db, a, w.scene), writes=False),
    Row("Fold the requested changes into a new prompt", revisions.revision, Role.editor,
        lambda w, a: given(w.db, a, w.asked_take), writes=False),
    Row("Make final renders wait for approvals", decisions.require_approval, Role.owner,
        lambda w, a: given(w.db, a, w.pid, True)),
    # review sessions: members open them, editors make and run them
    Row("List the review sessions", review_sessions.list_sessions, Role.viewer, on_project,
        writes=False),
    Row("Open a review session", review_sessions.open_session, Role.viewer,
        lambda w, a: given(w.db, a, w.session), writes=False),
    Row("Stay in a live review", review_sessions.stay, Role.viewer,
        lambda w, a: given(w.db, a, w.session), writes=False),
    Row("Read a review session's report", review_sessions.said_in, Role.viewer,
        lambda w, a: given(w.db, a, w.session), writes=False),
    Row("Make a review session", review_sessions.create_session, Role.editor,
        lambda w, a: given(w.db, a, w.pid, "Rushes", [(w.take, None)], utcnow(),
                           utcnow() + timedelta(days=1))),
    Row("Change a review session's items", review_sessions.reorder, Role.editor,
        lambda w, a: given(w.db, a, w.session, [(w.take, None)])),
    Row("Start a live review", review_sessions.go_live, Role.editor,
        lambda w, a: given(w.db, a, w.session)),
    Row("End a live review", review_sessions.end_live, Role.editor,
        lambda w, a: given(w.db, a, w.session)),
    Row("See a session's guest links", review_sessions.list_links, Role.editor,
        lambda w, a: given(w.db, a, w.session), writes=False),
    Row("Make a guest link", review_sessions.add_link, Role.editor,
        lambda w, a: given(w.db, a, w.session, "Agency", utcnow() + timedelta(days=1))),
    Row("Revoke a guest link", review_sessions.revoke_link, Role.editor,
        lambda w, a: given(w.db, a, w.link), uses=("link",)),
    Row("Close a review session", review_sessions.close_session, Role.editor,
        lambda w, a: given(w.db, a, w.session), uses=("session",)),
    # the library
    Row("List the library", assets.list_assets, Role.viewer, on_project, writes=False),
    Row("See a scene's ingredients", assets.attached_references, Role.viewer,
        lambda w, a: given(w.db, a, w.scene), writes=False),
    Row("See every scene's ingredients", assets.ingredients_by_scene, Role.viewer, on_project,
        writes=False),
    Row("Upload to the library", assets.add_asset, Role.editor,
        lambda w, a: given(w.db, w.media, a, w.pid, "frame", "Dawn", png())),
    Row("Delete an upload", assets.delete_asset, Role.editor,
        lambda w, a: given(w.db, w.media, a, w.asset), uses=("asset",)),
    Row("Undo an upload's delete", assets.restore_asset, Role.editor,
        lambda w, a: given(w.db, a, w.deleted_asset), uses=("deleted_asset",)),
    # generation: estimating is a read; whatever queues billable work needs an editor
    Row("Estimate a generation", jobs.plan_generation, Role.viewer,
        lambda w, a: given(w.db, a, w.pid, True), writes=False),
    Row("List the jobs", jobs.list_jobs, Role.viewer, on_project, writes=False),
    Row("Queue generation (spends)", jobs.create_generation_jobs, Role.editor,
        lambda w, a: given(w.db, a, w.pid, True, [w.scene])),
    Row("Cancel a job", jobs.cancel_job, Role.editor,
        lambda w, a: given(w.db, a, w.queued_job), uses=("queued_job",)),
    Row("Send an unconfirmed job again (may spend twice)", jobs.retry_unconfirmed, Role.editor,
        lambda w, a: given(w.db, a, w.unconfirmed_job), uses=("unconfirmed_job",)),
    Row("Give up on an unconfirmed job", jobs.give_up, Role.editor,
        lambda w, a: given(w.db, a, w.unconfirmed_job), uses=("unconfirmed_job",)),
    # the cut and the movie
    Row("List the movie's versions", cut.list_movies, Role.viewer, on_project, writes=False),
    Row("Set the cards and the music", cut.update_cut, Role.editor,
        lambda w, a: given(w.db, a, w.pid, {"music_fade_in": 1.5})),
    Row("Edit the timeline", cut.edit_timeline, Role.editor,
        lambda w, a: given(w.db, a, w.pid, {w.scene: {"transition": "cut"}})),
    # A render needs a take for every scene: other rows add scenes without one, and an
    # undo brings back the deleted one, which has none.
    Row("Render the movie", cut.create_render_job, Role.editor,
        lambda w, a: given(w.db, a, w.pid, {}), uses=("deleted_scene",)),
    # the instance
    Row("See my own limits", limits.allowance, SIGNED_IN, on_instance, writes=False),
    Row("List the users", users.list_users, ADMIN, on_instance, writes=False),
    Row("Disable, enable, make or unmake an admin", users.set_flags, ADMIN,
        lambda w, a: given(w.db, a, w.cast.sol.email, disabled=False)),
    Row("Set a user's limits", limits.set_limits, ADMIN,
        lambda w, a: given(w.db, a, w.cast.sol.email, {"spend per day": 50, "jobs in flight": 4})),
    Row("Add a local account", accounts.add_account, ADMIN,
        lambda w, a: given(w.db, a, f"{uuid.uuid4().hex[:8]}@example.com", "New", "long enough")),
    Row("Set a local account's password", accounts.set_password, ADMIN,
        lambda w, a: given(w.db, a, w.cast.account, "long enough 2")),
    # the audit: an owner reads their projects', an admin everyone's
    Row("Read a project's audit", audit.find_events, OWNER_OR_ADMIN,
        lambda w, a: given(w.db, a, w.pid), writes=False),
    Row("Read the audit of the projects I own (an admin: all)", audit.find_events, SIGNED_IN,
        on_instance, writes=False, shown_to=OWNER_OR_ADMIN,
        shows=lambda result, w: any(e.project == w.name for e in result)),
    Row("See what that audit can be filtered by", audit.audit_choices, SIGNED_IN, on_instance,
        writes=False, shown_to=OWNER_OR_ADMIN, shows=lambda result, w: w.pid in result.projects),
)
# fmt: on

# Functions that take an acting user but are no operation of their own: each runs inside
# a transaction whose caller has already checked (or is the check).
NOT_OPERATIONS = {
    "storage.audit.record": "writes the audit line of an operation, in its transaction",
    "storage.permissions.require": "the project check itself",
    "storage.permissions.role_of": "read by require",
    "storage.permissions.require_admin": "the admin check itself",
    "storage.permissions.is_admin": "read by require_admin and the audit's reads",
    "storage.members.accept_invitations": "part of sign_in: the user joins what they were "
    "invited to",
    "storage.scenes.change_scene": "update_scene inside a caller's transaction (queueing with "
    "changes), whose caller checked editor",
    "storage.limits.check_limits": "part of queueing, after its editor check",
    "storage.review_items.review_item": "the gate of every comment and decision, inside them",
    "storage.session_scope.session_of": "the session check of every comment, reply and decision "
    "said in a review session, inside them, after the review gate",
    "storage.scenes.scene_for": "the gate of every operation on one scene, inside them",
    "storage.inbox.tell": "part of commenting, replying, deciding and a render's or a "
    "budget's news, in their transaction",
}


def refusal(minimum: Minimum, column: str) -> type[StudioError] | None:
    """What the matrix says ``column`` gets: None (allowed) or the refusal's class."""
    if minimum == SIGNED_IN:
        return None
    if minimum == ADMIN:
        return None if column == "admin" else PermissionDenied
    if minimum == OWNER_OR_ADMIN:
        return None if column == "admin" else refusal(Role.owner, column)
    if column in ("non-member", "admin"):
        return NotFound  # a stranger does not even learn that the project exists
    return None if LADDER.index(Role(column)) >= LADDER.index(Role(minimum)) else PermissionDenied


def snapshot(db: Database, media: LocalMediaStore) -> dict[str, Any]:
    """Every row of every table, and the media files: what a refusal must leave as it was."""
    with db.session() as s:
        state: dict[str, Any] = {
            table.name: s.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in Base.metadata.sorted_tables
        }
    state["media files"] = sorted(str(p) for p in media.root.rglob("*"))
    return state


class Watch:
    """Snapshots around the calls that must change nothing; one snapshot serves as the
    next "before" until something may have written."""

    def __init__(self, db: Database, media: LocalMediaStore) -> None:
        self.db, self.media = db, media
        self.last: dict[str, Any] | None = None

    def before(self) -> None:
        if self.last is None:
            self.last = snapshot(self.db, self.media)

    def changed(self) -> list[str]:
        now = snapshot(self.db, self.media)
        assert self.last is not None
        changed = [name for name in now if now[name] != self.last[name]]
        self.last = now
        return changed

    def forget(self) -> None:
        self.last = None


class Spares:
    """The projects seeded aside for calls that use up a part of one: per actor, one
    project serves calls until one wants a part used already ("project" wants all)."""

    def __init__(self, seed: Callable[[], World]) -> None:
        self.seed = seed
        self.spare: dict[str, tuple[World, set[str]]] = {}

    def world(self, column: str, uses: tuple[str, ...]) -> World:
        world, used = self.spare.get(column) or (self.seed(), set())
        if used & {*uses, "project"} or (used and "project" in uses):
            world, used = self.seed(), set()
        self.spare[column] = (world, used | set(uses))
        return world


def attempt(row: Row, column: str, world: World) -> str | None:
    """One call of the row by the column's actor; what disagreed with the matrix, if any."""
    refused = refusal(row.minimum, column)
    said = f"{row.name} by {column} ({row.minimum} needed)"
    stranger = column in ("non-member", "admin")
    try:
        call = row.call(world, world.cast.actors[column])
        result = row.operation(*call.args, **call.kwargs)
    except Exception as exc:  # any: a crash is a disagreement too, reported with the rest
        if refused is None or type(exc) is not refused:
            wanted = "success" if refused is None else refused.__name__
            return f"{said}: {type(exc).__name__} ({exc}), not {wanted}"
        if stranger and any(secret in str(exc) for secret in world.secrets):
            return f"{said}: the refusal names what a stranger must not learn: {exc}"
        return None
    if refused is not None:
        return f"{said}: allowed, not {refused.__name__}"
    shown = refusal(row.shown_to, column) is None
    if row.shows and row.shows(result, world) != shown:
        return f"{said}: {'does not show' if shown else 'shows'} the project: {result}"
    return None


def walk(db: Database, root: Path) -> list[str]:
    """Every row by every column; what disagreed with the matrix, in words."""
    cast = made_cast(db)
    media = LocalMediaStore(root / "media")
    board = root / "board.yaml"
    board.write_text("project: {name: Imported}\nscenes: [{prompt: a pier at night}]\n")
    numbers = itertools.count(1)
    shared = seeded(db, media, cast, board, next(numbers))
    watch = Watch(db, media)
    spares = Spares(lambda: seeded(db, media, cast, board, next(numbers)))
    problems: list[str | None] = []
    for row in ROWS:
        # Refusals and reads first, with one snapshot around them all: none may change
        # anything. Then the allowed writes.
        quiet = [c for c in COLUMNS if refusal(row.minimum, c) or not row.writes]
        watch.before()
        problems += [attempt(row, column, shared) for column in quiet]
        changed = watch.changed()
        if changed:
            problems.append(
                f"{row.name} refused to (or read by) {', '.join(quiet)}, yet changed "
                f"{', '.join(changed)}"
            )
        for column in COLUMNS:
            if column not in quiet:
                world = spares.world(column, row.uses) if row.uses else shared
                problems.append(attempt(row, column, world))
                watch.forget()
    return [problem for problem in problems if problem]


def test_each_operation_is_allowed_or_refused_as_the_matrix_says(
    db: Database, tmp_path: Path
) -> None:
    problems = walk(db, tmp_path)
    assert not problems, f"{len(problems)} disagree with the matrix:\n" + "\n".join(problems)


def _acting(function: Callable[..., Any]) -> bool:
    """Whether the function is a data-layer operation for someone: it takes the database
    (or a transaction) and an ``actor``, or a ``user`` who acts (a ``user`` beside an
    ``actor`` is whom the actor acts on). Formatting a user's fields acts on nothing."""
    params = inspect.signature(function).parameters
    return ("db" in params or "s" in params) and ("actor" in params or "user" in params)


def storage_functions() -> dict[str, Callable[..., Any]]:
    """Every public function of the storage modules, by its full name."""
    found: dict[str, Callable[..., Any]] = {}
    for module_info in pkgutil.iter_modules(storage.__path__):
        if module_info.ispkg:  # the migrations
            continue
        module = importlib.import_module(f"storage.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and function.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = function
    return found


def test_every_operation_that_acts_for_someone_has_a_row() -> None:
    functions = storage_functions()
    in_rows = {f"storage.{row.name}" for row in ROWS}
    missing = sorted(
        name
        for name, function in functions.items()
        if _acting(function) and name not in in_rows and name not in NOT_OPERATIONS
    )
    assert not missing, (
        "operations with no row in the permission matrix (tests/storage/"
        f"test_permission_matrix.py ROWS, and docs/permissions.md): {', '.join(missing)}"
    )
    stale = sorted((in_rows | set(NOT_OPERATIONS)) - set(functions))
    assert not stale, f"rows or exceptions for functions that are gone: {', '.join(stale)}"
    assert len({row.does for row in ROWS}) == len(ROWS), "two rows say the same"


def matrix_markdown() -> str:
    """The matrix as docs/permissions.md shows it."""
    lines = [
        f"| Operation | Function | Needs | {' | '.join(HEADINGS.get(c, c) for c in COLUMNS)} |",
        f"|---|---|---|{':-:|' * len(COLUMNS)}",
    ]
    for row in ROWS:
        marks = " | ".join("—" if refusal(row.minimum, c) else "✓" for c in COLUMNS)
        lines.append(f"| {row.does} | `{row.name}` | {row.minimum} | {marks} |")
    return "\n".join(lines)


def test_docs_permissions_shows_the_matrix() -> None:
    found = re.search(r"<!-- matrix -->\n(.*?)\n<!-- /matrix -->", DOC.read_text(), re.DOTALL)
    assert found, f"{DOC}: no table between <!-- matrix --> and <!-- /matrix -->"
    shown, wanted = found.group(1).strip(), matrix_markdown()
    lines = difflib.unified_diff(
        shown.splitlines(), wanted.splitlines(), "docs/permissions.md", "ROWS", lineterm=""
    )
    assert shown == wanted, f"{DOC} differs from ROWS:\n" + "\n".join(lines)
