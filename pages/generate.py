"""Generate: queue scenes, watch each job's live progress, cancel a job."""

from __future__ import annotations

import streamlit as st

from storage import catalog
from storage import jobs as job_store
from storage import scenes as scene_store
from storage.models import JobStatus
from studio.ui import DRAFT_NOTE, attempt, open_project, services, user


def _queue_form(project_id: int) -> None:
    scenes = scene_store.list_scenes(services().db, user(), project_id)
    if not scenes:
        st.info("This project has no scenes yet; add them on the Storyboard page.")
        return
    labels = {s.id: f"{i + 1}. {s.title}" for i, s in enumerate(scenes)}
    chosen = st.multiselect(
        "Scenes", list(labels), format_func=labels.get, placeholder="All scenes"
    )
    takes = st.number_input(
        "Takes per scene (0: each scene's own)", 0, catalog.MAX_TAKES_PER_JOB, 0
    )
    picked = [s for s in scenes if s.id in chosen] or scenes
    cost = sum(scene_store.scene_estimate(s, takes or None) for s in picked)
    st.caption(f"Estimated cost at Veo list prices: ${cost:,.2f}")
    if services().settings.backend == "animatic":
        st.warning(DRAFT_NOTE + " Nothing is billed.")
    if st.button(f"Queue {len(picked)} scene(s)", type="primary"):
        queued = attempt(
            lambda: services().jobs.generate(
                user(), project_id, [s.id for s in picked], takes or None
            )
        )
        if queued:
            st.success(f"Queued {len(queued)} job(s)")


@st.fragment(run_every=1.0)
def _jobs(project_id: int) -> None:
    jobs = job_store.list_jobs(services().db, user(), project_id, limit=50)
    if not jobs:
        st.caption("No jobs yet.")
        return
    active = [j.id for j in jobs if not JobStatus(j.status).finished]
    live = attempt(lambda: services().jobs.progress(active)) or {}
    places = job_store.queue_positions(services().db, active)
    for job in jobs:
        status = JobStatus(job.status)
        title = job.params.get("title", f"scene {job.scene_id}")
        with st.container(border=True):
            cols = st.columns([3, 4, 1])
            cols[0].markdown(f"**Job {job.id}** · {title} · {job.takes} take(s)")
            cols[0].caption(f"{job.backend} · {job.model} · attempt {job.attempts}")
            if status == JobStatus.queued:
                cols[1].progress(
                    0.0, text=f"queued — position {places.get(job.id, '?')} in the queue"
                )
            elif status == JobStatus.running:
                progress = live.get(job.id)
                cols[1].progress(
                    progress.fraction if progress else 0.0,
                    text=progress.stage if progress else "starting",
                )
            elif status == JobStatus.succeeded:
                cols[1].progress(1.0, text="succeeded")
            else:
                cols[1].error(
                    f"{status.value} at {job.error_stage or 'an unknown stage'}: "
                    f"{job.error or 'no reason given'}"
                )
            if not status.finished and cols[2].button("Cancel", key=f"cancel-{job.id}"):
                attempt(lambda job_id=job.id: services().jobs.cancel(user(), job_id))
                st.rerun(scope="fragment")


def render() -> None:
    st.title("Generate")
    project = open_project()
    if project is None:
        return
    _queue_form(project.id)
    st.subheader("Jobs")
    _jobs(project.id)
