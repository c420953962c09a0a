"""Whoever queued a render hears how it ended; a project's owners and editors hear once
when its spending passes 80 % of the budget, and again only after it fell back under."""

from __future__ import annotations

import json

from sqlalchemy import select

from storage import cut, inbox, jobs, members, projects, scenes, users, webhooks
from storage.contract import NewMovie
from storage.db import Database
from storage.models import Role, User, WebhookDelivery
from tests.storage.made_takes import made_take
from tests.storage.test_jobs import MODEL, budgeted


def test_whoever_queued_a_render_hears_of_its_version_or_why_it_failed(
    db: Database, owner: User
) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"title": "Dawn", "prompt": "boats"}])
    made_take(db, owner, pid, scene.id, 4.0)
    eddie = users.sign_in(db, "https://idp.example", "eddie", "eddie@example.com", "Eddie")
    members.add_member(db, owner, pid, eddie, Role.editor)
    webhooks.add_webhook(db, owner, pid, "https://hooks.example.com/h", ["render"])

    render = cut.create_render_job(db, eddie, pid, {})
    jobs.claim_job(db, render.id)
    movie = cut.complete_render(db, render.id, NewMovie("m.mp4", "s", "v", "o", 12.4, 1, 1, 1, 1))
    assert movie is not None
    failing = cut.create_render_job(db, eddie, pid, {})
    jobs.claim_job(db, failing.id)
    jobs.fail_job(db, failing.id, "assembly", "the take of scene 1 'Dawn' has no video file")
    cancelled = cut.create_render_job(db, eddie, pid, {})
    jobs.cancel_job(db, eddie, cancelled.id)  # a cancel is not news to anyone

    told = [(e.kind, e.text, e.movie_id) for e in inbox.inbox(db, eddie)]
    assert told == [
        ("render", "Your render of 'Harbour' failed, so there is no new version: the take "
                   "of scene 1 'Dawn' has no video file", None),
        ("render", "Version 1 of 'Harbour' is ready (draft cut, 12 s)", movie.id),
    ]  # fmt: skip
    assert inbox.inbox(db, owner) == []  # it was Eddie's render
    with db.session() as s:
        sent = [json.loads(d.body) for d in s.scalars(select(WebhookDelivery))]
    assert [(b["event"], b["who"]["name"], b["item"]["movie_id"]) for b in sent] == [
        ("render.finished", "Eddie", movie.id),
        ("render.failed", "Eddie", None),
    ]


def test_spending_past_80_percent_is_told_once_per_crossing(db: Database, owner: User) -> None:
    pid = budgeted(db, owner, budget=2.0)  # $0.80 a take
    eddie = users.sign_in(db, "https://idp.example", "eddie", "eddie@example.com", "Eddie")
    rae = users.sign_in(db, "https://idp.example", "rae", "rae@example.com", "Rae")
    members.add_member(db, owner, pid, eddie, Role.editor)
    members.add_member(db, owner, pid, rae, Role.reviewer)
    webhooks.add_webhook(db, owner, pid, "https://hooks.example.com/h", ["budget"])

    def told(user: User) -> list[str]:
        return [e.text for e in inbox.inbox(db, user) if e.kind == "budget"]

    (first,) = jobs.create_generation_jobs(db, eddie, pid, False)  # $0.80: 40 %
    assert told(owner) == []
    (second,) = jobs.create_generation_jobs(db, eddie, pid, False)  # $1.60: 80 %
    warning = "'Film' has used 80% of its budget: $1.60 spent or reserved of $2.00"
    assert told(owner) == told(eddie) == [warning]  # Eddie too: the studio tells, not he
    assert told(rae) == []  # a reviewer spends nothing
    jobs.claim_job(db, first.id)
    jobs.save_operation(db, first.id, "operations/1")  # still 80 %: not told again
    assert told(owner) == [warning]

    jobs.claim_job(db, second.id)
    jobs.fail_job(db, second.id, "veo", "invalid argument")  # never sent: $0.80 back
    jobs.create_generation_jobs(db, eddie, pid, False)  # over again: a second crossing
    assert told(owner) == [warning, warning]

    projects.update_project(db, owner, pid, {"budget": 1.8})  # 89 %: still the same crossing
    assert len(told(owner)) == 2
    with db.session() as s:
        sent = [json.loads(d.body) for d in s.scalars(select(WebhookDelivery))]
    assert [(b["event"], b["spent_usd"], b["budget_usd"], b["who"]) for b in sent] == [
        ("budget.warning", 1.6, 2.0, None)
    ] * 2
