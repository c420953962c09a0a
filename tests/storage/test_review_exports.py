"""Comments exported and read back as an editor's tools read them: the EDL with
OpenTimelineIO's CMX 3600 adapter, the markers as OpenTimelineIO, frame-exact; the CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import opentimelineio as otio

from storage import comments, cut, jobs, projects, scenes
from storage.contract import NewMovie
from storage.db import Database
from storage.media import LocalMediaStore
from storage.models import User
from storage.review_exports import export_comments
from tests.storage.made_takes import made_take

MODEL = "veo-3.1-fast-generate-001"


def commented(db: Database, owner: User) -> tuple[int, int]:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"title": "Dawn", "prompt": "boats"}])
    take = made_take(db, owner, pid, scene.id, 4.0)  # 96 frames at 24 fps
    comments.add_comment(db, owner, take.id, None, "Warmer, please", 12)
    comments.add_comment(db, owner, take.id, None, "=1+1 drifts\nhere", 27, 40)
    return pid, take.id


def test_the_edl_and_the_otio_markers_read_back_frame_exact(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    _, take = commented(db, owner)
    edl = export_comments(db, media, owner, take, None, "edl")
    (clip,) = otio.adapters.read_from_string(edl, "cmx_3600", rate=24).find_clips()
    assert [(m.name, m.marked_range.start_time.to_frames()) for m in clip.markers] == [
        ("Local creator: Warmer, please", 12),
        ("Local creator: =1+1 drifts here", 27),  # one line
    ]
    text = export_comments(db, media, owner, take, None, "otio")
    (clip,) = otio.adapters.read_from_string(text, "otio_json").find_clips()
    assert [
        (m.marked_range.start_time.to_frames(), m.marked_range.duration.to_frames())
        for m in clip.markers
    ] == [(12, 0), (27, 13)]


def test_a_versions_markers_land_on_its_cut_at_movie_time(
    db: Database, owner: User, tmp_path: Path
) -> None:
    media = LocalMediaStore(tmp_path)
    pid, _ = commented(db, owner)
    timeline = otio.schema.Timeline(name="Harbour")
    track = otio.schema.Track()
    for name in ("Dawn", "Dusk"):
        track.append(otio.schema.Clip(name=name, source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(96, 24))))  # fmt: skip
    timeline.tracks.append(track)
    media.write("cut.otio", otio.adapters.write_to_string(timeline, "otio_json").encode())
    render = cut.create_render_job(db, owner, pid, {})
    jobs.claim_job(db, render.id)
    movie = cut.complete_render(
        db, render.id, NewMovie("m.mp4", "m.srt", "m.vtt", "cut.otio", 8.0, 1280, 720, 10, 1.0)
    )
    assert movie
    comments.add_comment(db, owner, None, movie.id, "The cut drags here", 150)
    text = export_comments(db, media, owner, None, movie.id, "otio")
    read = otio.adapters.read_from_string(text, "otio_json")
    assert [c.name for c in read.find_clips()] == ["Dawn", "Dusk"]  # the cut itself
    (marker,) = read.tracks.markers
    assert (marker.name, marker.marked_range.start_time.to_frames()) == (
        "Local creator: The cut drags here",
        150,
    )


def test_the_csv_has_each_comment_with_its_timecodes(
    db: Database, owner: User, tmp_path: Path
) -> None:
    _, take = commented(db, owner)
    text = export_comments(db, LocalMediaStore(tmp_path), owner, take, None, "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == ["Frame", "Timecode", "End frame", "End timecode", "Author", "Comment"]
    assert rows[1][:6] == ["13", "00:00:00:12", "", "", "Local creator", "Warmer, please"]
    assert rows[2][:6] == ["28", "00:00:01:03", "41", "00:00:01:16", "Local creator",
                           "'=1+1 drifts\nhere"]  # fmt: skip
