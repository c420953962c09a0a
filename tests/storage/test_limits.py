"""Per-user limits: spend per day and jobs in flight, set by an admin, checked across all
of the user's projects when they queue."""

from __future__ import annotations

import threading

import pytest

from storage import cut, jobs, limits, projects, scenes
from storage.db import Database
from storage.errors import InvalidInput, LimitReached, PermissionDenied
from storage.models import User
from storage.users import bootstrap_admin
from tests.storage.made_takes import made_take

MODEL = "veo-3.1-fast-generate-001"  # 8 s of 720p with sound: $0.80 a take


def film(db: Database, owner: User, name: str = "Film") -> int:
    pid = projects.create_project(db, owner, {"name": name}, MODEL).id
    scenes.add_scenes(db, owner, pid, [{"prompt": "a harbour at dawn", "duration": 8}])
    return pid


def test_spend_per_day_counts_every_project_and_says_what_is_left(
    db: Database, owner: User
) -> None:
    admin = bootstrap_admin(db)
    limits.set_limits(db, admin, owner.email, {"spend per day": "2.00"})
    jobs.create_generation_jobs(db, owner, film(db, owner, "One"), False, takes=2)  # $1.60
    second = film(db, owner, "Two")
    with pytest.raises(LimitReached) as refused:
        jobs.create_generation_jobs(db, owner, second, False, takes=1)
    assert str(refused.value) == (
        "spend per day: queueing would reserve an estimated $0.80, but Local creator has "
        "$0.40 left of $2.00 per day ($1.60 spent or reserved in the last 24 hours)"
    )
    jobs.create_generation_jobs(db, owner, second, True, takes=4)  # drafts bill nothing
    limits.set_limits(db, admin, owner.email, {"spend per day": "none"})
    jobs.create_generation_jobs(db, owner, second, False, takes=1)


def test_jobs_in_flight_count_generations_and_renders(db: Database, owner: User) -> None:
    limits.set_limits(db, None, owner.email, {"jobs in flight": 2})  # no admin yet: the console
    pid = film(db, owner)
    (scene,) = scenes.list_scenes(db, owner, pid)
    made_take(db, owner, pid, scene.id, 8.0)  # ended: not in flight
    (first,) = jobs.create_generation_jobs(db, owner, pid, True)
    cut.create_render_job(db, owner, pid, {})
    with pytest.raises(LimitReached, match=r"^jobs in flight: .* 2 job\(s\) .* has 2; 0 more"):
        jobs.create_generation_jobs(db, owner, pid, True)
    jobs.cancel_job(db, owner, first.id)  # one ends: room for one more
    jobs.create_generation_jobs(db, owner, pid, True)
    assert limits.allowance(db, owner).jobs_left == 0


def test_one_user_queueing_from_many_places_at_once_never_passes_the_day(
    db: Database, owner: User
) -> None:
    limits.set_limits(db, None, owner.email, {"spend per day": 0.80 * 3})
    films = [film(db, owner, f"Film {i}") for i in range(8)]
    outcomes: list[str] = []
    start = threading.Barrier(len(films))

    def queue(pid: int) -> None:
        start.wait()
        try:
            jobs.create_generation_jobs(db, owner, pid, False)
            outcomes.append("queued")
        except LimitReached:
            outcomes.append("refused")

    threads = [threading.Thread(target=queue, args=(pid,)) for pid in films]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["queued"] * 3 + ["refused"] * 5


def test_only_an_admin_sets_limits_and_bad_ones_are_named(
    db: Database, owner: User, stranger: User
) -> None:
    admin = bootstrap_admin(db)
    with pytest.raises(PermissionDenied, match="needs an admin of this studio; Stranger is not"):
        limits.set_limits(db, stranger, stranger.email, {"spend per day": 1000})
    with pytest.raises(PermissionDenied, match="say who acts"):  # the console, once there is one
        limits.set_limits(db, None, stranger.email, {"spend per day": 1000})
    with pytest.raises(InvalidInput) as bad:
        limits.set_limits(
            db, admin, stranger.email, {"spend per day": -1, "jobs in flight": "lots", "x": 1}
        )
    assert bad.value.in_words() == (
        "x: is not a limit; limits: spend per day, jobs in flight; "
        "spend per day: must be a finite amount, from 0 to 1,000,000 (USD); "
        "jobs in flight: 'lots' is not a whole number"
    )
    assert limits.allowance(db, stranger).spend_per_day_usd is None  # nothing saved


def test_sending_an_unconfirmed_job_again_puts_it_in_flight_within_the_limit(
    db: Database, owner: User
) -> None:
    pid = film(db, owner)
    (lost,) = jobs.create_generation_jobs(db, owner, pid, True)
    jobs.claim_job(db, lost.id)
    jobs.fail_job(db, lost.id, jobs.UNCONFIRMED, "its answer was lost")
    jobs.create_generation_jobs(db, owner, pid, True)  # another, in flight
    limits.set_limits(db, None, owner.email, {"jobs in flight": 1})
    with pytest.raises(LimitReached, match=r"^jobs in flight"):
        jobs.retry_unconfirmed(db, owner, lost.id)
    limits.set_limits(db, None, owner.email, {"jobs in flight": 2})
    assert jobs.retry_unconfirmed(db, owner, lost.id).status == "queued"
