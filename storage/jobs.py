"""Jobs in SQL: the source of truth for what was asked, what ran and how it ended.

A job moves queued -> running -> succeeded | failed | blocked | cancelled. Every move is a
conditional UPDATE, so a cancel and an engine finishing at the same moment cannot both win.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, case, func, select, update
from sqlalchemy.orm import Session

from storage import audit
from storage.assets import live_asset, references_for
from storage.catalog import Billing, Catalog, ProviderSpec
from storage.contract import Generated, ImageRef, PreviousScene, SceneSnapshot, TakeRef
from storage.db import Database
from storage.errors import BudgetExceeded, Conflict, FieldError, InvalidInput, NotFound
from storage.limits import check_limits
from storage.models import (
    ACTIVE,
    Asset,
    AssetKind,
    Job,
    JobKind,
    JobStatus,
    Project,
    Role,
    Scene,
    Take,
    User,
    utcnow,
)
from storage.permissions import require
from storage.render_outcomes import told_failed
from storage.scenes import change_scene, live_take, ordered_scenes, scene_estimate
from storage.spending import check_budget, committed_usd, lock_project
from storage.validation import require_takes

# The stage of a job whose request may have reached the provider with no operation saved:
# it waits for a person to send it again or give up, and keeps its reservation meanwhile.
UNCONFIRMED = "unconfirmed"
NOT_RESENT = (
    "it may have been billed: it is not resent on its own, so it is never paid twice; its "
    "estimate stays reserved until a person sends it again or gives up"
)


@dataclass(frozen=True)
class Budget:
    """A project's budget as queueing sees it: the limit, what is spent or reserved, and
    what is left (None: the project has no budget)."""

    limit: float | None
    committed: float

    @property
    def left(self) -> float | None:
        return None if self.limit is None else max(0.0, self.limit - self.committed)


@dataclass(frozen=True)
class PlannedJob:
    scene: Scene
    takes: int
    provider: ProviderSpec
    estimate: float

    @property
    def reserve(self) -> float:
        """What queueing it holds against the budget: its estimate, if its provider bills."""
        return self.estimate if self.provider.billing.billed else 0.0


@dataclass(frozen=True)
class Plan:
    """What queueing these scenes would do: who generates each, at what estimated cost,
    and how much of it is held against the budget."""

    jobs: list[PlannedJob]
    budget: Budget

    @property
    def estimate(self) -> float:
        return round(sum(job.estimate for job in self.jobs), 4)

    @property
    def reserve(self) -> float:
        return round(sum(job.reserve for job in self.jobs), 4)

    @property
    def billed(self) -> bool:
        return any(job.provider.billing.billed for job in self.jobs)

    @property
    def fits(self) -> bool:
        left = self.budget.left
        return left is None or self.reserve <= left + 1e-9


def _chosen(
    s: Session, project_id: int, scene_ids: list[int] | None
) -> tuple[list[Scene], list[Scene]]:
    """The project's scenes in order, and those chosen (all when ``scene_ids`` is None);
    deleted scenes are neither."""
    ordered = ordered_scenes(s, project_id)
    if scene_ids is None:
        return ordered, ordered
    by_id = {scene.id: scene for scene in ordered}
    missing = [i for i in scene_ids if i not in by_id]
    if missing:
        raise NotFound(f"scene {missing[0]}: not a scene of project {project_id}")
    return ordered, [by_id[i] for i in dict.fromkeys(scene_ids)]


def _plan(
    s: Session,
    catalog: Catalog,
    project: Project,
    chosen: list[Scene],
    takes: int | None,
    drafts: bool,
) -> Plan:
    if not chosen:
        raise InvalidInput([FieldError("scenes", "the project has no scenes to generate")])
    planned = []
    for scene in chosen:
        count = require_takes(scene.takes if takes is None else takes, catalog.model(scene.model))
        planned.append(
            PlannedJob(
                scene,
                count,
                catalog.backend_for(scene.model, drafts),
                scene_estimate(scene, catalog, count),
            )
        )
    return Plan(planned, Budget(project.budget_usd, committed_usd(s, project.id)))


def plan_generation(
    db: Database,
    actor: User,
    project_id: int,
    drafts: bool,
    scene_ids: list[int] | None = None,
    takes: int | None = None,
) -> Plan:
    """What ``create_generation_jobs`` would queue and spend, without queueing it."""
    with db.session() as s:
        project = require(s, actor, project_id, Role.viewer, "estimating a generation")
        _, chosen = _chosen(s, project_id, scene_ids)
        return _plan(s, db.catalog, project, chosen, takes, drafts)


def create_generation_jobs(
    db: Database,
    actor: User,
    project_id: int,
    drafts: bool,
    scene_ids: list[int] | None = None,
    takes: int | None = None,
    changes: dict[int, dict[str, Any]] | None = None,
    once: dict[int, dict[str, Any]] | None = None,
) -> list[Job]:
    """One queued job per scene (all scenes when ``scene_ids`` is None), saved together
    with ``changes`` to the scenes (by id) they are made with (continuing from the
    previous scene). ``once`` are changes for these jobs only (extending a take): checked
    like an edit and made into the jobs, while the scenes keep their own settings. A
    refusal of any of it saves none of it.

    Each job's backend is its scene's model's provider, or the local animatic in draft
    mode. A billed provider's jobs reserve their estimate against the project budget in
    the same transaction, under a lock on the project row, so queueing from several
    studios or CLIs at the same moment can never overspend.
    """
    catalog = db.catalog
    with db.session() as s:
        lock_project(s, project_id)
        project = require(s, actor, project_id, Role.editor, "generating scenes")
        ordered, chosen = _chosen(s, project_id, scene_ids)
        _change(s, catalog, actor, ordered, changes or {})
        with s.begin_nested() as for_these_jobs:  # rolled back: only the jobs keep ``once``
            _change(s, catalog, actor, ordered, once or {})
            plan = _plan(s, catalog, project, chosen, takes, drafts)
            if not plan.fits:
                _refuse_budget(project, plan)
            jobs = [
                Job(
                    project_id=project_id,
                    scene_id=planned.scene.id,
                    kind=JobKind.generate,
                    backend=planned.provider.name,
                    model=planned.scene.model,
                    takes=planned.takes,
                    params=scene_snapshot(
                        s, catalog, planned.scene, ordered, planned.provider.drafts
                    ).to_params(),
                    estimated_cost_usd=planned.estimate,
                    reserved_usd=planned.reserve,
                    created_by=actor.id,
                )
                for planned in plan.jobs
            ]
            for_these_jobs.rollback()
        # after the savepoint: rolling one back on PostgreSQL lets go of the locks it took
        check_limits(s, actor, len(jobs), plan.reserve)
        s.add_all(jobs)
        s.flush()
        check_budget(s, project_id)
        audit.record(s, actor, "jobs.queued", project_id, jobs=[j.id for j in jobs])
    return jobs


def _change(
    s: Session, catalog: Catalog, actor: User, ordered: list[Scene], changes: dict[int, Any]
) -> None:
    by_id = {scene.id: scene for scene in ordered}
    for scene_id, fields in changes.items():
        if scene_id not in by_id:
            raise NotFound(f"scene {scene_id}: not a scene of this project")
        change_scene(s, catalog, actor, by_id[scene_id], fields)


def _refuse_budget(project: Project, plan: Plan) -> None:
    budget = plan.budget
    raise BudgetExceeded(
        f"budget: queueing {len(plan.jobs)} job(s) would cost an estimated "
        f"${plan.reserve:,.2f}, but '{project.name}' has ${budget.left or 0:,.2f} left of its "
        f"${budget.limit or 0:,.2f} budget (${budget.committed:,.2f} spent or reserved); "
        "raise the budget or queue fewer takes"
    )


def scene_snapshot(
    s: Session, catalog: Catalog, scene: Scene, ordered: list[Scene], drafts: bool = False
) -> SceneSnapshot:
    """What the backend renders: a snapshot, so later edits do not change a queued job.

    The previous scene's take is looked up when the job runs, not now, so "generate all"
    can chain scenes that have no takes yet. Drafts use no reference images, so theirs are
    neither taken nor checked.
    """

    index = ordered.index(scene)

    def gone(field: str, what: str) -> InvalidInput:
        """A link to what was deleted is refused, never dropped: the job would be another."""
        return InvalidInput([FieldError(
            f"scene {index + 1} '{scene.title}' {field}",
            f"{what} is deleted; undo the delete, or choose another in the scene",
        )])  # fmt: skip

    def frame(field: str, asset_id: int | None) -> ImageRef | None:
        if asset_id is None:
            return None
        asset = live_asset(s, asset_id)
        if asset is None:
            deleted = s.get(Asset, asset_id)
            raise gone(field, f"'{deleted.name}'" if deleted else f"image {asset_id}")
        return ImageRef(asset.media_key, asset.mime_type, asset.name)

    extend = live_take(s, scene.extend_take_id) if scene.extend_take_id else None
    if scene.extend_take_id and extend is None:
        raise gone("take to extend", "the scene of the take it extends")
    previous = ordered[index - 1] if scene.continuity != "none" and index > 0 else None
    return SceneSnapshot(
        title=scene.title,
        prompt=scene.prompt,
        model=scene.model,
        duration=scene.duration,
        aspect_ratio=scene.aspect_ratio,
        resolution=scene.resolution,
        style=scene.style,
        camera=scene.camera,
        negative_prompt=scene.negative_prompt,
        seed=scene.seed,
        notes=scene.notes,
        continuity=scene.continuity,
        person_generation=scene.person_generation,
        generate_audio=scene.generate_audio,
        enhance_prompt=scene.enhance_prompt,
        position=scene.position,
        first_frame=frame("first frame", scene.first_frame_id),
        last_frame=frame("last frame", scene.last_frame_id),
        references=tuple(
            ImageRef(
                asset.media_key,
                asset.mime_type,
                asset.name,
                "style" if asset.kind == AssetKind.style else "asset",
            )
            for asset in ([] if drafts else _references(s, catalog, scene, ordered))
        ),
        extend_take=TakeRef(extend.id, extend.media_key, extend.backend) if extend else None,
        previous=PreviousScene(previous.id, previous.title, previous.prompt, previous.seed)
        if previous
        else None,
    )


def _references(s: Session, catalog: Catalog, scene: Scene, ordered: list[Scene]) -> list[Asset]:
    """The scene's ingredients, or a refusal that names the scene and the ways out."""
    try:
        return references_for(s, scene, catalog)
    except InvalidInput as exc:
        number = ordered.index(scene) + 1
        raise InvalidInput(
            [
                FieldError(
                    f"scene {number} '{scene.title}' {error.field}",
                    f"{error.message}: choose a model that takes reference images (Veo 3.1) "
                    "for this scene, or remove the ingredient from it (or its name from the "
                    "prompt)",
                )
                for error in exc.errors
            ]
        ) from None


def get_job(db: Database, job_id: int) -> Job:
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise NotFound(f"job {job_id}: no such job")
        return job


def list_jobs(db: Database, actor: User, project_id: int, limit: int = 200) -> list[Job]:
    with db.session() as s:
        require(s, actor, project_id, Role.viewer, "viewing jobs")
        return list(
            s.scalars(
                select(Job).where(Job.project_id == project_id).order_by(Job.id.desc()).limit(limit)
            )
        )


def queue_positions(db: Database, job_ids: list[int]) -> dict[int, int]:
    """1-based place in the whole queue of each job that is still queued."""
    with db.session() as s:
        queued = s.scalars(
            select(Job.id).where(Job.status == JobStatus.queued).order_by(Job.id)
        ).all()
    wanted = set(job_ids)
    return {job_id: place for place, job_id in enumerate(queued, 1) if job_id in wanted}


def queued_since(db: Database, seconds: float) -> list[int]:
    """Jobs queued for at least ``seconds``, oldest first (the reconciler's view of SQL)."""
    cutoff = utcnow() - timedelta(seconds=seconds)
    with db.session() as s:
        return list(
            s.scalars(
                select(Job.id)
                .where(Job.status == JobStatus.queued, Job.created_at <= cutoff)
                .order_by(Job.id)
            )
        )


def active_count(db: Database, project_id: int) -> int:
    with db.session() as s:
        return (
            s.scalar(
                select(func.count()).where(Job.project_id == project_id, Job.status.in_(ACTIVE))
            )
            or 0
        )


def cancel_job(db: Database, actor: User, job_id: int) -> Job:
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise NotFound(f"job {job_id}: no such job")
        require(
            s, actor, job.project_id, Role.editor, "cancelling a job", f"job {job_id}: no such job"
        )
        if not move_job(
            s,
            job_id,
            ACTIVE,
            status=JobStatus.cancelled,
            finished_at=utcnow(),
            reserved_usd=_reservation_after(JobStatus.cancelled),
        ):
            raise Conflict(
                f"job {job_id} has already {job.status}; only a queued or running job can be cancelled"
            )
        check_budget(s, job.project_id)
        audit.record(s, actor, "job.cancelled", job.project_id, job=job_id)
    return get_job(db, job_id)


def _reservation_after(
    status: JobStatus, stage: str | None = None, billing: Billing | None = None
) -> Any:
    """What a job that ends without takes still counts against the budget.

    Nothing, if the provider never accepted it or said it produced nothing (its billing
    names those stages); otherwise its estimate stays reserved (cancelled, timed out,
    failed while saving: the provider may bill it). A submission whose answer was lost
    ("unconfirmed") may have been accepted, so it keeps it.
    """
    if stage == UNCONFIRMED:
        return Job.reserved_usd
    unbilled = billing.unbilled_stages if billing else frozenset()
    if status == JobStatus.blocked or stage in unbilled:
        return 0.0
    never_sent = and_(Job.operation_name.is_(None), Job.submitting_at.is_(None))
    return case((never_sent, 0.0), else_=Job.reserved_usd)


def move_job(s: Session, job_id: int, from_: tuple[JobStatus, ...], **values: Any) -> bool:
    moved = update(Job).where(Job.id == job_id, Job.status.in_(from_)).values(**values)
    result = cast(CursorResult[Any], s.execute(moved))  # an UPDATE's result has a row count
    return result.rowcount == 1


# The engine's side: no acting user, the job row itself carries who asked.


def claim_job(
    db: Database, job_id: int, taken_over: bool = False, engine: str | None = None
) -> Job | None:
    """Mark a delivered job running; None if it is no longer this delivery's to run.

    A fresh delivery claims only a queued job: a second copy of its id in the stream (the
    reconciler's, a retry's) must never start a second run beside the first. Only a
    delivery taken over from a stopped engine (``taken_over``) may claim a running job.
    Only work that starts over is a new attempt: resuming an operation the provider has
    already accepted is not (a job whose engines die while it only polls keeps its video).
    """
    with db.session() as s:
        moved = move_job(
            s,
            job_id,
            ACTIVE if taken_over else (JobStatus.queued,),
            status=JobStatus.running,
            attempts=Job.attempts + case((Job.operation_name.is_(None), 1), else_=0),
            started_at=func.coalesce(Job.started_at, utcnow()),
            claimed_by=engine,
        )
        return s.get(Job, job_id) if moved else None


def running_jobs(db: Database) -> list[tuple[int, str | None]]:
    """Every running job and the engine that claimed it."""
    with db.session() as s:
        rows = s.execute(select(Job.id, Job.claimed_by).where(Job.status == JobStatus.running))
        return [(job_id, engine) for job_id, engine in rows]


def requeue_orphan(db: Database, job_id: int, engine: str | None) -> bool:
    """Queue again a job whose engine is gone and which nothing in Redis points at; False
    if it moved on meanwhile (finished, cancelled, or claimed by another engine)."""
    with db.session() as s:
        same_engine = Job.claimed_by.is_(None) if engine is None else Job.claimed_by == engine
        moved = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.running, same_engine)
            .values(status=JobStatus.queued, claimed_by=None)
        )
        return cast(CursorResult[Any], moved).rowcount == 1


def begin_submission(db: Database, job_id: int) -> bool:
    """Note that a request to the provider is about to leave; False if the job is no longer
    running (cancelled meanwhile), and then it must not leave. Until the operation's name
    is saved the job may have been billed: a redelivery must not send it again on its own."""
    with db.session() as s:
        return move_job(s, job_id, (JobStatus.running,), submitting_at=utcnow())


def end_submission(db: Database, job_id: int) -> None:
    """The provider refused the request outright (nothing started, nothing billed)."""
    with db.session() as s:
        s.execute(update(Job).where(Job.id == job_id).values(submitting_at=None))


def retry_unconfirmed(db: Database, actor: User, job_id: int) -> Job:
    """A person chose to send an unconfirmed job again, knowing it may be paid twice. It
    is in flight again: within the jobs in flight of whoever sends it (its estimate is
    still reserved, and counted, from when it was queued)."""
    return _decide(
        db,
        actor,
        job_id,
        "sending a job again",
        "job.retried",
        status=JobStatus.queued,
        submitting_at=None,
        error_stage=None,
        error=None,
        finished_at=None,
        attempts=0,  # a fresh start, asked for by a person
    )


def give_up(db: Database, actor: User, job_id: int) -> Job:
    """A person chose not to send an unconfirmed job again; its reservation stays, since
    the provider may have billed it."""
    return _decide(
        db,
        actor,
        job_id,
        "giving up on a job",
        "job.given_up",
        error_stage="given up",
        error="not sent again; the first request may still have been billed",
    )


def _decide(db: Database, actor: User, job_id: int, doing: str, action: str, **values: Any) -> Job:
    """Record a person's decision about an unconfirmed job, if it still waits for one."""
    with db.session() as s:
        job = _unconfirmed(s, actor, job_id, doing)
        if values.get("status") == JobStatus.queued:
            check_limits(s, actor, 1, 0.0)
        decided = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.failed, Job.error_stage == UNCONFIRMED)
            .values(**values)
        )
        if cast(CursorResult[Any], decided).rowcount != 1:
            raise Conflict(f"job {job_id} was decided meanwhile; nothing was changed")
        audit.record(s, actor, action, job.project_id, job=job_id)
    return get_job(db, job_id)


def _unconfirmed(s: Session, actor: User, job_id: int, doing: str) -> Job:
    job = s.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id}: no such job")
    require(s, actor, job.project_id, Role.editor, doing, f"job {job_id}: no such job")
    if job.status != JobStatus.failed or job.error_stage != UNCONFIRMED:
        raise Conflict(
            f"job {job_id} is {job.status}; only a job whose request may have been billed "
            "(unconfirmed) waits for this decision"
        )
    return job


def save_operation(db: Database, job_id: int, operation_name: str) -> None:
    """Record the remote operation the moment it exists; from now on a billed provider
    may charge for it, so its estimate is reserved again even if the job was cancelled
    meanwhile."""
    with db.session() as s:
        job = s.get(Job, job_id)
        provider = db.catalog.providers.get(job.backend) if job else None
        billed = provider is not None and provider.billing.billed
        s.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                operation_name=operation_name,
                submitted_at=utcnow(),
                reserved_usd=Job.estimated_cost_usd if billed else Job.reserved_usd,
            )
        )
        if job is not None:
            check_budget(s, job.project_id)


def complete_job(db: Database, job_id: int, generated: Generated) -> list[Take] | None:
    """Record the takes and mark the job succeeded together; None if it was cancelled.

    The job's reservation becomes what its takes cost; its notice says what it lacks (the
    samples a safety filter kept back). Each take keeps the job's snapshot as its params.
    """
    with db.session() as s:
        if not move_job(
            s,
            job_id,
            (JobStatus.running,),
            status=JobStatus.succeeded,
            finished_at=utcnow(),
            reserved_usd=round(sum(t.cost_usd for t in generated.takes), 4),
            notice=generated.notice,
        ):
            return None
        job = s.get(Job, job_id)
        assert job is not None and job.scene_id is not None
        drafts = db.catalog.provider(job.backend).drafts
        rows = [
            Take(
                scene_id=job.scene_id,
                job_id=job_id,
                backend=job.backend,
                model=job.model,
                is_draft=drafts,
                params=dict(job.params),
                **asdict(take),
            )
            for take in generated.takes
        ]
        s.add_all(rows)
        s.flush()
        scene = s.get(Scene, job.scene_id)
        if scene is not None and scene.selected_take_id is None and rows:
            scene.selected_take_id = rows[0].id
        check_budget(s, job.project_id)
    return rows


def fail_job(
    db: Database, job_id: int, stage: str, reason: str, status: JobStatus = JobStatus.failed
) -> bool:
    """End a live job without takes, keeping what its provider may bill reserved; whoever
    queued a render is told why it failed (a cancel is theirs or a colleague's to know)."""
    with db.session() as s:
        job = s.get(Job, job_id)
        provider = db.catalog.providers.get(job.backend) if job else None
        ended = move_job(
            s,
            job_id,
            ACTIVE,
            status=status,
            error_stage=stage,
            error=reason[:4000],
            finished_at=utcnow(),
            reserved_usd=_reservation_after(status, stage, provider.billing if provider else None),
        )
        if ended and job is not None:
            if job.kind == JobKind.render and status != JobStatus.cancelled:
                told_failed(s, job, reason)
            check_budget(s, job.project_id)
        return ended


def find_jobs(db: Database, job_ids: list[int]) -> dict[int, Job]:
    """The jobs that exist among ``job_ids``, in one query."""
    with db.session() as s:
        return {job.id: job for job in s.scalars(select(Job).where(Job.id.in_(job_ids)))}


def selected_take(db: Database, scene_id: int) -> tuple[Take | None, bool]:
    """A scene's selected take, and whether a job of that scene is still queued or running
    (so a scene that continues from it can wait for its take instead of failing)."""
    with db.session() as s:
        scene = s.get(Scene, scene_id)
        if scene is None or scene.deleted_at is not None:
            return None, False  # a deleted scene lends no take to the one after it
        take = s.get(Take, scene.selected_take_id) if scene.selected_take_id else None
        pending = s.scalar(
            select(func.count()).where(Job.scene_id == scene_id, Job.status.in_(ACTIVE))
        )
        return take, bool(pending)
