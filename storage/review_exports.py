"""A take's or a movie version's comments for the tools editors finish in: CSV, an EDL whose
markers (Avid's "* LOC:" lines) Resolve and OpenTimelineIO read, and OpenTimelineIO markers
(on the take's clip at take time; on the cut's own timeline at movie time)."""

from __future__ import annotations

from typing import Literal

import opentimelineio as otio

from storage.comments import Thread, threads_of
from storage.contract import frame_timecode
from storage.db import Database
from storage.media import MediaStore
from storage.models import Movie, Project, Role, User
from storage.review_items import Item, review_item
from storage.spreadsheet import to_csv

EDL_NAME_CHARS = 60  # a LOC line is one line of an old format: kept short, on one line
Kind = Literal["csv", "edl", "otio"]
SUFFIXES = {"csv": "comments.csv", "edl": "markers.edl", "otio": "markers.otio"}


def export_comments(
    db: Database,
    media: MediaStore,
    actor: User,
    take_id: int | None,
    movie_id: int | None,
    kind: Kind,
) -> str:
    """The comments of a take or a version in one of the formats."""
    with db.session() as s:
        item = review_item(s, actor, take_id, movie_id, Role.viewer, "exporting comments")
        threads = threads_of(s, item)
        project = s.get(Project, item.project_id)
        movie = s.get(Movie, movie_id) if movie_id is not None else None
    if kind == "csv":
        return comments_csv(item, threads)
    if kind == "edl":
        return comments_edl(item, threads, f"{project.name if project else ''} {item.label}")
    cut = media.read(movie.otio_key).decode() if movie and media.exists(movie.otio_key) else None
    return comments_otio(item, threads, cut)


def _name(thread: Thread) -> str:
    note = thread.comment
    return f"{note.author}: {note.body}"


def comments_csv(item: Item, threads: list[Thread]) -> str:
    header = ["Frame", "Timecode", "End frame", "End timecode", "Author", "Comment",
              "Replies", "Resolved by", "Drawing"]  # fmt: skip
    rows = []
    for thread in threads:
        note = thread.comment
        at, end = note.frame or 0, note.end_frame
        rows.append([
            at + 1, frame_timecode(at, item.fps), "" if end is None else end + 1,
            "" if end is None else frame_timecode(end, item.fps), note.author, note.body,
            " | ".join(f"{r.author}: {r.body}" for r in thread.replies),
            note.resolved_by or "", f"{len(note.drawing)} shape(s)" if note.drawing else "",
        ])  # fmt: skip
    return to_csv(header, rows)


def comments_edl(item: Item, threads: list[Thread], title: str) -> str:
    """One event, the whole take or version, with a marker per comment at its frame."""
    end = frame_timecode(item.frames, item.fps)
    lines = [
        f"TITLE: {_one_line(title)}",
        "FCM: NON-DROP FRAME",
        "",
        f"001  AX       V     C        00:00:00:00 {end} 00:00:00:00 {end}",
        f"* FROM CLIP NAME: {_one_line(item.label)}",
    ]
    for thread in threads:
        at = thread.comment.frame or 0
        color = "GREEN" if thread.comment.resolved_by else "RED  "  # resolved, or still open
        lines.append(f"* LOC: {frame_timecode(at, item.fps)} {color}   {_one_line(_name(thread))}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EDL_NAME_CHARS else flat[: EDL_NAME_CHARS - 3] + "..."


def comments_otio(item: Item, threads: list[Thread], cut: str | None = None) -> str:
    """Markers at the comments' frames: on a timeline of the take's one clip (take time),
    or on the cut's own timeline, ``cut`` (its OpenTimelineIO, movie time)."""
    rate = item.fps
    if cut is not None:
        timeline = otio.adapters.read_from_string(cut, "otio_json")
        holder = timeline.tracks
    else:
        timeline = otio.schema.Timeline(name=item.label)
        clip = otio.schema.Clip(
            name=item.label,
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(item.frames, rate)
            ),
        )
        track = otio.schema.Track(name="take")
        track.append(clip)
        timeline.tracks.append(track)
        holder = clip
    for thread in threads:
        note = thread.comment
        at = note.frame or 0
        length = (note.end_frame - at) if note.end_frame is not None else 0
        holder.markers.append(
            otio.schema.Marker(
                name=_name(thread),
                marked_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(at, rate), otio.opentime.RationalTime(length, rate)
                ),
                color=otio.schema.MarkerColor.GREEN
                if note.resolved_by
                else otio.schema.MarkerColor.RED,
                metadata={"veogen": {"comment": note.id, "resolved": bool(note.resolved_by)}},
            )
        )
    return str(otio.adapters.write_to_string(timeline, "otio_json"))
