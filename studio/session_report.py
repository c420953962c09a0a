"""A review session's report: every comment, reply and decision made through it, item by
item in the session's order, as a page to read or print (with the frame each
comment points at) and as CSV for a spreadsheet."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable

from storage.contract import frame_timecode
from storage.review_sessions import Report, Said
from storage.spreadsheet import to_csv

STILL_HEIGHT = 90  # pixels: a frame beside its comment
Still = Callable[[str, float], bytes | None]  # a video's key, seconds: a JPEG

HEADER = ("position", "item", "kind", "who", "text", "frame", "end frame", "timecode", "at (UTC)")


def _frames(said: Said) -> tuple[str, str, str]:
    """The frame, the end frame and the timecode, counted from 1 as the player shows them."""
    if said.frame is None:
        return "", "", ""
    end = str(said.end_frame + 1) if said.end_frame is not None else ""
    return str(said.frame + 1), end, frame_timecode(said.frame, said.fps)


def report_csv(said: list[Said]) -> str:
    rows = [
        (x.position, x.item, x.kind, x.who, x.text, *_frames(x), f"{x.at:%Y-%m-%d %H:%M:%S}")
        for x in said
    ]
    return to_csv(HEADER, rows)


def report_html(report: Report, still: Still) -> str:
    """A page of its own (nothing fetched: the frames are in it), everyone's words escaped."""
    e = html.escape
    said = report.said
    so_far = "" if report.final else " (so far: the session is still open)"
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>{e(report.name)}: review report</title>",
        "<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;color:#222}h2{margin-top:2rem;border-bottom:1px solid #ddd}"
        ".said{display:flex;gap:1rem;margin:.8rem 0}.said img{border-radius:4px}"
        ".who{color:#555;font-size:13px}.text{white-space:pre-wrap}"
        f".gone{{width:{STILL_HEIGHT * 16 // 9}px;height:{STILL_HEIGHT}px;display:flex;"
        "align-items:center;justify-content:center;text-align:center;font-size:12px;"
        "color:#666;background:#f2f2f2;border-radius:4px}.decision{font-weight:600}</style>",
        f"<h1>{e(report.name)}</h1>",
        f"<p>Review session, open {report.opens_at:%Y-%m-%d %H:%M} to "
        f"{report.until:%Y-%m-%d %H:%M} UTC · set up by {e(report.made_by)} · "
        f"{len(report.items)} item(s) · "
        f"{sum(x.kind in ('comment', 'reply') for x in said)} comment(s) and replies · "
        f"{sum(x.kind not in ('comment', 'reply') for x in said)} decision(s){so_far}</p>",
    ]
    for item in report.items:
        mine = [x for x in said if x.position == item.position]
        parts.append(f"<h2>Item {item.position}: {e(item.label)}</h2>")
        if not mine:
            parts.append("<p class='who'>Nothing was said about it in the session.</p>")
        for x in mine:
            frame, end, code = _frames(x)
            picture = ""
            if x.frame is not None:
                jpeg = still(item.media_key, x.frame / x.fps)
                if jpeg:
                    data = base64.b64encode(jpeg).decode()
                    picture = f"<img alt='frame {frame}' src='data:image/jpeg;base64,{data}'>"
                else:  # the take's file was removed since (its scene deleted for good)
                    picture = "<div class='gone'>The frame is no longer available</div>"
            where = f" · frame {frame}" + (f"–{end}" if end else "") + f" ({code})" if frame else ""
            kind = "decision" if x.kind not in ("comment", "reply") else "note"
            parts.append(
                f"<div class='said'>{picture}<div><div class='who'>{e(x.who)} · "
                f"{e(x.kind)}{where} · {x.at:%Y-%m-%d %H:%M} UTC</div>"
                + (f"<div class='text {kind}'>{e(x.text)}</div>" if x.text else "")
                + "</div></div>"
            )
    return "\n".join(parts) + "\n"
