"""The Veo backend through the real google-genai SDK, against the fake Google server."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from PIL import Image

from engine.client import JobClient
from storage import assets, jobs, projects, scenes
from storage.contract import Generated, NewTake
from storage.db import Database
from storage.errors import InvalidInput
from storage.media import LocalMediaStore
from storage.models import JobStatus, Take, User
from storage.settings import Settings, load_settings
from storage.users import local_user
from tests.fake_google import LOST, TOKEN, FakeGoogle, Outcome
from tests.helpers import make_worker, running, until

MODEL = "veo-3.1-generate-001"


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    server = FakeGoogle(generation_seconds=0.3, video_seconds_scale=0.25).start()
    yield server
    server.stop()


@pytest.fixture
def veo_settings(settings: Settings, fake: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "film-co")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-central1")
    return veo_env(settings, fake)


@pytest.fixture
def film(sqlite_db: Database) -> tuple[Database, User, int]:
    """A database, its local user, and an empty Veo 3.1 project."""
    owner = local_user(sqlite_db)
    return sqlite_db, owner, project(sqlite_db, owner)


def veo_env(settings: Settings, fake: FakeGoogle, **extra: str) -> Settings:
    return load_settings(
        {
            **settings.as_env(),
            "VEOGEN_DRAFTS": "false",
            "VEOGEN_VEO_BASE_URL": fake.url,
            "VEOGEN_GCS_BASE_URL": fake.url,
            "VEOGEN_GOOGLE_ACCESS_TOKEN": TOKEN,
            "VEOGEN_VEO_POLL_SECONDS": "0.05",
            "VEOGEN_VEO_POLL_MAX_SECONDS": "0.2",
            "VEOGEN_VEO_RETRY_SECONDS": "0.05",
            **extra,
        }
    )


def generate(
    settings: Settings, db: Database, owner: User, pid: int, scene_ids: list[int] | None = None
) -> list[int]:
    """Queue the scenes, run one in-process engine until every job has ended."""
    client = JobClient(db, settings.redis_url or "", settings.redis_prefix, drafts=False)
    ids = [j.id for j in client.generate(owner, pid, scene_ids)]

    async def run() -> None:
        worker = make_worker(settings, db, "veo-test", concurrency=8)
        async with running(worker):
            await until(
                lambda: all(JobStatus(j.status).finished for j in jobs.find_jobs(db, ids).values()),
                timeout=60,
            )

    asyncio.run(run())
    return ids


def png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 144), color).save(out, "PNG")
    return out.getvalue()


def project(db: Database, owner: User, model: str = MODEL, **fields: object) -> int:
    return projects.create_project(db, owner, {"name": "Film", "model": model, **fields}, model).id


def test_every_scene_option_reaches_its_field_and_the_take_is_real(
    veo_settings: Settings, fake: FakeGoogle, film: tuple[Database, User, int], tmp_path: Path
) -> None:
    db, owner, pid = film
    media = LocalMediaStore(veo_settings.media_dir)
    first = assets.add_asset(db, media, owner, pid, "frame", "open", png("red"))
    last = assets.add_asset(db, media, owner, pid, "frame", "close", png("blue"))
    assets.add_asset(db, media, owner, pid, "character", "Mara", png("green"))
    scene = scenes.add_scene(
        db,
        owner,
        pid,
        {
            "prompt": "Mara opens the door",
            "negative_prompt": "blur",
            "duration": 8,
            "aspect_ratio": "9:16",
            "resolution": "1080p",
            "seed": 42,
            "style": "noir",
            "camera": "dolly-in",
            "person_generation": "dont_allow",
            "enhance_prompt": False,
            "generate_audio": True,
            "takes": 2,
            "first_frame_id": first.id,
            "last_frame_id": last.id,
        },
    )
    [job_id] = generate(veo_settings, db, owner, pid)
    [sent] = fake.submissions
    assert sent["model"] == MODEL
    instance, params = sent["instances"][0], sent["parameters"]
    assert instance["prompt"] == "Mara opens the door Style: noir. Camera: dolly in."
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == png("red")
    assert instance["image"]["mimeType"] == "image/png"
    assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == png("blue")
    [reference] = instance["referenceImages"]
    assert reference["referenceType"] == "ASSET"  # the SDK sends its enum value
    assert base64.b64decode(reference["image"]["bytesBase64Encoded"]) == png("green")
    assert params == {
        "sampleCount": 2,
        "durationSeconds": 8,
        "seed": 42,
        "aspectRatio": "9:16",
        "resolution": "1080p",
        "personGeneration": "dont_allow",
        "negativePrompt": "blur",
        "enhancePrompt": False,
        "generateAudio": True,
    }
    job = jobs.get_job(db, job_id)
    assert job.status == JobStatus.succeeded and job.operation_name.endswith("/operations/1")
    assert job.operation_name.startswith("projects/film-co/locations/us-central1/")
    takes = [t for t in scenes.list_takes(db, owner, pid) if t.scene_id == scene.id]
    assert sorted(t.sample_index for t in takes) == [0, 1]
    for take in takes:
        assert not take.is_draft and take.cost_usd == pytest.approx(0.40 * 8)
        assert (take.width, take.height, take.codec) == (180, 320, "h264")
        with av.open(str(media.local_path(take.media_key))) as video:
            assert video.streams.audio, "Veo 3 takes keep their sound"
        assert media.exists(take.poster_key)
    assert job.reserved_usd == pytest.approx(2 * 0.40 * 8)


def test_quota_and_server_errors_are_retried_and_submit_once(
    veo_settings: Settings, fake: FakeGoogle, film: tuple[Database, User, int]
) -> None:
    db, owner, pid = film
    scenes.add_scene(db, owner, pid, {"prompt": "rain on glass", "duration": 4})
    fake.submit_errors = [(429, "Quota exceeded for aiplatform"), (429, "Quota"), (503, "busy")]
    fake.poll_errors = [(500, "internal"), (429, "slow down")]
    [job_id] = generate(veo_settings, db, owner, pid)
    assert jobs.get_job(db, job_id).status == JobStatus.succeeded
    assert fake.requests["predictLongRunning"] == 4 and len(fake.submissions) == 1


def test_an_invalid_request_fails_at_once_with_googles_message(
    veo_settings: Settings, fake: FakeGoogle, film: tuple[Database, User, int]
) -> None:
    db, owner, pid = film
    scenes.add_scene(db, owner, pid, {"prompt": "a lighthouse"})
    fake.submit_errors = [(400, "Unsupported resolution for this model")]
    [job_id] = generate(veo_settings, db, owner, pid)
    job = jobs.get_job(db, job_id)
    assert (job.status, job.error_stage) == (JobStatus.failed, "submit")
    assert job.error == (
        "Veo refused the request (400 INVALID_ARGUMENT): Unsupported resolution for this model"
    )
    assert fake.requests["predictLongRunning"] == 1 and job.reserved_usd == 0


@pytest.mark.parametrize(
    ("outcome", "status", "stage", "message"),
    [
        (
            Outcome(blocked=2, reasons=("Prompt names a real person (code 58061214)",)),
            JobStatus.blocked,
            "safety",
            "Veo's safety filters blocked every sample: Prompt names a real person "
            "(code 58061214). Rephrase the prompt",
        ),
        (
            Outcome(error={"code": 13, "message": "Video generation failed internally"}),
            JobStatus.failed,
            "veo",
            "the generation failed: Video generation failed internally (code 13)",
        ),
        (Outcome(never=True), JobStatus.failed, "timeout", "Veo did not finish within 2 s"),
    ],
)
def test_each_outcome_ends_the_job_with_its_reason(
    veo_settings: Settings,
    fake: FakeGoogle,
    film: tuple[Database, User, int],
    outcome: Outcome,
    status: JobStatus,
    stage: str,
    message: str,
) -> None:
    db, owner, pid = film
    settings = veo_env(veo_settings, fake, VEOGEN_VEO_TIMEOUT_SECONDS="2")
    scenes.add_scene(db, owner, pid, {"prompt": "a crowd at a rally", "takes": 2})
    fake.outcomes = [outcome]
    [job_id] = generate(settings, db, owner, pid)
    job = jobs.get_job(db, job_id)
    assert (job.status, job.error_stage) == (status, stage)
    assert job.error.startswith(message)
    assert len(fake.submissions) == 1
    assert not scenes.list_takes(db, owner, pid)


def test_partial_results_keep_what_came_back(
    veo_settings: Settings, fake: FakeGoogle, film: tuple[Database, User, int]
) -> None:
    db, owner, pid = film
    scenes.add_scene(db, owner, pid, {"prompt": "a parade", "takes": 3, "duration": 4})
    fake.outcomes = [Outcome(blocked=2, reasons=("Unsafe content",))]
    [job_id] = generate(veo_settings, db, owner, pid)
    job = jobs.get_job(db, job_id)
    assert job.status == JobStatus.succeeded
    assert job.notice.startswith("2 of 3 samples were blocked by safety filters: Unsafe content.")
    [take] = scenes.list_takes(db, owner, pid)
    assert job.reserved_usd == pytest.approx(take.cost_usd) == pytest.approx(0.40 * 4)


def test_output_bucket_videos_are_read_from_gcs(
    veo_settings: Settings, fake: FakeGoogle, film: tuple[Database, User, int]
) -> None:
    db, owner, pid = film
    settings = veo_env(veo_settings, fake, VEOGEN_VEO_OUTPUT_GCS_URI="gs://film-co-renders")
    scenes.add_scene(db, owner, pid, {"prompt": "a harbour at dawn", "duration": 4})
    [job_id] = generate(settings, db, owner, pid)
    assert jobs.get_job(db, job_id).status == JobStatus.succeeded
    assert fake.submissions[0]["parameters"]["storageUri"] == (
        f"gs://film-co-renders/veogen/job-{job_id}/"
    )
    assert fake.requests["gcs"] == 1


def test_continuity_waits_for_the_previous_take_and_starts_from_its_last_frame(
    veo_settings: Settings, fake: FakeGoogle, film: tuple[Database, User, int]
) -> None:
    db, owner, pid = film
    scenes.add_scenes(
        db,
        owner,
        pid,
        [
            {"prompt": "a door opens", "duration": 4},
            {"prompt": "she steps through", "duration": 4, "continuity": "previous"},
            {"prompt": "and keeps walking", "duration": 4, "continuity": "extend"},
        ],
    )
    ids = generate(veo_settings, db, owner, pid)
    assert [jobs.get_job(db, i).status for i in ids] == [JobStatus.succeeded] * 3
    first, second, third = fake.submissions
    assert "image" not in first["instances"][0]
    frame = Image.open(
        io.BytesIO(base64.b64decode(second["instances"][0]["image"]["bytesBase64Encoded"]))
    )
    assert frame.size == (320, 180)  # the previous take's own last frame
    assert third["instances"][0]["video"]["mimeType"] == "video/mp4"


def test_a_scene_extends_an_earlier_veo_take_but_not_a_draft(
    veo_settings: Settings, fake: FakeGoogle, film: tuple[Database, User, int]
) -> None:
    db, owner, pid = film
    opening = scenes.add_scene(db, owner, pid, {"prompt": "a kite rises", "duration": 4})
    generate(veo_settings, db, owner, pid)
    [take] = scenes.list_takes(db, owner, pid)
    later = scenes.add_scene(
        db, owner, pid, {"prompt": "the kite drifts away", "duration": 4, "extend_take_id": take.id}
    )
    generate(veo_settings, db, owner, pid, [later.id])
    sent = fake.submissions[-1]["instances"][0]
    video = base64.b64decode(sent["video"]["bytesBase64Encoded"])
    assert video == LocalMediaStore(veo_settings.media_dir).read(take.media_key)
    draft = jobs.create_generation_jobs(db, owner, pid, True, [opening.id])[0]
    jobs.claim_job(db, draft.id)
    [draft_take] = jobs.complete_job(db, draft.id, Generated((_copy_of(take),)))
    with pytest.raises(InvalidInput, match=f"take {draft_take.id} is an animatic draft"):
        scenes.update_scene(db, owner, later.id, {"extend_take_id": draft_take.id})
    with pytest.raises(InvalidInput, match="extend_take_id: a scene that extends a take"):
        scenes.update_scene(db, owner, later.id, {"continuity": "previous"})


def _copy_of(take: Take) -> NewTake:
    """A sample that reuses ``take``'s file."""
    columns = ("media_key", "duration", "width", "height", "fps", "codec")
    fields = {name: getattr(take, name) for name in columns}
    return NewTake(sample_index=0, poster_key=None, bytes=1, seed=None, cost_usd=0, **fields)


def test_a_submission_whose_answer_was_lost_is_never_resent(
    veo_settings: Settings, fake: FakeGoogle, film: tuple[Database, User, int]
) -> None:
    db, owner, pid = film
    scenes.add_scene(db, owner, pid, {"prompt": "a tram at night", "duration": 4})
    fake.submit_errors = [(LOST, "")]
    [job_id] = generate(veo_settings, db, owner, pid)
    job = jobs.get_job(db, job_id)
    assert (job.status, job.error_stage) == (JobStatus.failed, "unconfirmed")
    assert "it is not resent on its own, so it is never paid twice" in job.error
    assert len(fake.submissions) == 1 and fake.requests["predictLongRunning"] == 1
    assert job.reserved_usd == pytest.approx(job.estimated_cost_usd)  # Google may bill it


def test_a_token_that_expires_mid_generation_is_renewed_and_the_poll_retried(
    veo_settings: Settings, fake: FakeGoogle, film: tuple[Database, User, int], tmp_path: Path
) -> None:
    db, owner, pid = film
    token = tmp_path / "token"  # kept fresh by something else, as gcloud in a cron job
    token.write_text(TOKEN)
    settings = veo_env(
        veo_settings,
        fake,
        VEOGEN_GOOGLE_ACCESS_TOKEN="",
        VEOGEN_GOOGLE_ACCESS_TOKEN_FILE=str(token),
    )

    def expire() -> None:  # Google stops taking the old token while the video is made
        fake.token = "renewed-token"
        token.write_text("renewed-token")

    fake.after_submit = expire
    scenes.add_scene(db, owner, pid, {"prompt": "a tram at night", "duration": 4})
    [job_id] = generate(settings, db, owner, pid)
    done = jobs.get_job(db, job_id)
    assert done.status == JobStatus.succeeded, done.error
    assert len(fake.submissions) == 1


def test_a_fixed_token_that_expires_fails_saying_how_to_keep_it_fresh(
    veo_settings: Settings, fake: FakeGoogle, film: tuple[Database, User, int]
) -> None:
    db, owner, pid = film
    fake.after_submit = lambda: setattr(fake, "token", "renewed-token")
    scenes.add_scene(db, owner, pid, {"prompt": "a tram at night", "duration": 4})
    [job_id] = generate(veo_settings, db, owner, pid)
    failed = jobs.get_job(db, job_id)
    assert (failed.status, failed.error_stage) == (JobStatus.failed, "credentials")
    assert "use VEOGEN_GOOGLE_ACCESS_TOKEN_FILE" in (failed.error or "")
    assert failed.reserved_usd == failed.estimated_cost_usd  # Veo is still making it


def test_a_404_on_a_poll_is_retried_before_it_is_believed(
    veo_settings: Settings, fake: FakeGoogle, film: tuple[Database, User, int]
) -> None:
    db, owner, pid = film
    scenes.add_scenes(db, owner, pid, [{"prompt": "a quay", "duration": 4}])
    fake.poll_errors = [(404, "Operation not found")] * 2
    [kept] = generate(veo_settings, db, owner, pid)
    assert jobs.get_job(db, kept).status == JobStatus.succeeded
    fake.poll_errors = [(404, "Operation not found")] * 4
    [lost] = generate(veo_settings, db, owner, pid)
    gone = jobs.get_job(db, lost)
    assert (gone.status, gone.error_stage) == (JobStatus.failed, "poll")
    assert "Veo does not know this model or operation (404" in (gone.error or "")
