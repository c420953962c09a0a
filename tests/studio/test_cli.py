"""The whole product through its command line: import, a real engine process, generate."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import av

from storage.db import Database
from storage.errors import StudioError
from storage.metrics_reader import MetricsReader
from storage.settings import Settings, load_settings
from storage.users import LOCAL_EMAIL, local_user

BOARD = """\
project: {name: Three scenes, resolution: 720p}
scenes:
  - {title: One, prompt: A red fox in snow, duration: 4, camera: pan-left}
  - {title: Two, prompt: The fox runs through a forest, duration: 6, camera: dolly-in, continuity: previous}
  - {title: Three, prompt: Night sky full of stars, duration: 4, aspect_ratio: "9:16", camera: tilt-up}
"""


def veogen(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The CLI, acting as the local user unless ``env`` names another (VEOGEN_USER)."""
    env = {"VEOGEN_USER": LOCAL_EMAIL, **env}
    with contextlib.suppress(StudioError):  # an unreachable database is the CLI's to say
        db = Database(load_settings(env).db_url)
        db.migrate()
        local_user(db)  # made when the studio first starts
    return subprocess.run(
        [sys.executable, "-m", "studio.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_import_generate_and_check_every_file(settings: Settings, tmp_path: Path) -> None:
    env = {**os.environ, **settings.as_env()}
    board = tmp_path / "board.yaml"
    board.write_text(BOARD)
    imported = veogen(env, "import", str(board))
    assert imported.returncode == 0, imported.stderr
    project = imported.stdout.strip().splitlines()[-1]
    engine = subprocess.Popen(
        [sys.executable, "-m", "studio.cli", "engine", "--concurrency", "2"], env=env
    )
    try:
        generated = veogen(env, "generate", project, "--wait")
        assert generated.returncode == 0, generated.stderr
        nowhere = veogen(env, "render", project, "--output", str(tmp_path / "no" / "cut.mp4"))
        assert nowhere.returncode == 2 and "the folder" in nowhere.stderr  # nothing queued
        movie = tmp_path / "cut.mp4"
        rendered = veogen(env, "render", project, "--preset", "720p", "--output", str(movie))
        assert rendered.returncode == 0, rendered.stderr
        assert rendered.stdout.strip().splitlines()[-1] == str(movie)
        # 4 + 6 + 4 s; the third scene (9:16) is padded into the 16:9 frame
        with av.open(str(movie)) as video:
            assert abs(float(video.duration / av.time_base) - 14.0) <= 1 / 24 + 0.03
            assert (video.streams.video[0].width, video.streams.video[0].height) == (1280, 720)
        assert all(movie.with_suffix(s).is_file() for s in (".srt", ".vtt", ".otio"))
        into = veogen(env, "render", project, "--preset", "720p", "--output", str(tmp_path))
        assert into.stdout.strip().splitlines()[-1] == str(tmp_path / "movie-v2.mp4")
    finally:
        engine.terminate()
        assert engine.wait(timeout=60) == 0
    status = json.loads(veogen(env, "status", project, "--json").stdout)
    expected = [(4, 1280, 720), (6, 1280, 720), (4, 720, 1280)]
    for scene, (seconds, width, height) in zip(status["scenes"], expected, strict=True):
        [take] = scene["takes"]
        assert take["draft"] and scene["selected_take"] == take["id"]
        with av.open(take["file"]) as video:
            stream = video.streams.video[0]
            assert abs(float(stream.duration * stream.time_base) - seconds) <= 0.1
            assert (stream.width, stream.height, stream.codec_context.name) == (
                width,
                height,
                "h264",
            )
    events = (
        MetricsReader(settings.metrics_dir)
        .query(
            "SELECT event, count(DISTINCT job_id) AS jobs, sum(video_s) AS video_s FROM events "
            "WHERE backend = 'animatic' GROUP BY 1"
        )
        .set_index("event")
    )
    assert (
        events.loc["queued", "jobs"]
        == events.loc["started", "jobs"]
        == events.loc["succeeded", "jobs"]
        == 3
    )
    assert events.loc["succeeded", "video_s"] == 14


def test_cli_errors_are_one_line_without_traceback(settings: Settings, tmp_path: Path) -> None:
    env = {**os.environ, **settings.as_env()}
    missing = veogen(env, "status", "999")
    assert (
        missing.returncode == 1 and missing.stderr.strip() == "error: project 999: no such project"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("project: [\n")
    broken = veogen(env, "import", str(bad))
    assert (
        broken.returncode == 1
        and "not valid YAML" in broken.stderr
        and "Traceback" not in broken.stderr
    )
    board = tmp_path / "ok.yaml"
    board.write_text(BOARD)
    project = veogen(env, "import", str(board)).stdout.strip().splitlines()[-1]
    down = veogen({**env, "VEOGEN_REDIS_URL": "redis://127.0.0.1:1/0"}, "generate", project)
    assert (
        down.returncode == 1
        and "is not reachable" in down.stderr
        and "Traceback" not in down.stderr
    )


def test_a_bad_option_shows_usage_not_a_traceback(settings: Settings) -> None:
    bad = veogen({**os.environ, **settings.as_env()}, "generate", "--bogus")
    assert (
        bad.returncode == 2
        and "No such option: --bogus" in bad.stderr
        and "Traceback" not in bad.stderr
    )


def test_settings_that_cannot_work_end_in_one_line_naming_them(
    settings: Settings, tmp_path: Path
) -> None:
    env = {**os.environ, **settings.as_env()}
    zero = veogen(env, "engine", "--concurrency", "0")
    assert (
        zero.returncode == 2 and "--concurrency" in zero.stderr and "Traceback" not in zero.stderr
    )
    nowhere = {**env, "VEOGEN_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test"}
    down = veogen(nowhere, "migrate")
    assert down.returncode == 1 and "Traceback" not in down.stderr
    [line] = down.stderr.strip().splitlines()
    assert line.startswith("error: database postgresql+psycopg://postgres@127.0.0.1:1/test")
    assert "(VEOGEN_DATABASE_URL)" in line
    bad = veogen({**env, "VEOGEN_REDIS_URL": "localhost:6379"}, "status", "1")
    assert bad.returncode == 1 and bad.stderr.strip() == (
        "error: VEOGEN_REDIS_URL: 'localhost:6379' is not a URL it can use; it starts with one "
        "of redis://, rediss://, unix://"
    )
