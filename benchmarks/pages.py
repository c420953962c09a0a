"""The server time of each studio page with 1,000 projects and 20,000 takes for one user,
against the same page with one project, in the same run.

Method: each page runs in this process under Streamlit's AppTest (streamlit.testing.v1),
as the studio runs it (`from pages import X; X.render()`, its services cached across runs
as in the studio), against SQLite in a temporary data folder. A page's server time is the
wall time of one `AppTest.run()`: the script from its first line to its last element,
fragments included; the browser's drawing and the websocket are not in it.

Two data folders are built first: the open project alone (5 scenes of 4 takes, a character
and a style in its library), and the same open project among 999 more like it (1,000
projects, 20,000 takes). Each page is then run ``--rounds`` times on each, in turns, so
that the machine's load weighs on both alike: after a switch an untimed run builds the
page's services for that folder, then a timed run reruns the page, as a creator's clicks
do. p50 and p95 are of the timed runs. A page that shows one project should not move; the
Projects page shows one page of its list.

Seeded through the data layer: projects, scenes and jobs by `storage.projects`,
`storage.scenes` and `storage.jobs` (each job claimed and completed with its four takes),
and a metric event per step of each job by `storage.metrics.MetricsWriter` (the Analytics
page charts them). Takes are rows only, except the open project's: the Takes and Storyboard
pages play and show its files.

Run: `python benchmarks/pages.py` (`--projects 5 --rounds 2` for a smoke run; `--json` prints
the figures as one JSON line). Target: p95 <= 300 ms per page at 1,000 projects.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the studio's packages live beside it

from streamlit.testing.v1 import AppTest  # noqa: E402

from storage import assets, jobs, projects, scenes  # noqa: E402
from storage.contract import Generated, NewTake  # noqa: E402
from storage.media import poster_key, take_key  # noqa: E402
from storage.metrics import MetricsWriter  # noqa: E402
from storage.models import Job, User  # noqa: E402
from storage.settings import load_settings  # noqa: E402
from storage.users import local_user  # noqa: E402
from studio.services import Services  # noqa: E402
from studio.ui import services  # noqa: E402

# The pages of studio/app.py, and whether each shows the open project.
PAGES = {
    "projects": False,
    "storyboard": True,
    "generate": True,
    "takes": True,
    "movie": True,
    "library": True,
    "members": True,
    "analytics": False,
}
SCENES, TAKES, SECONDS = 5, 4, 8
TARGET_P95_S = 0.300


def image(width: int, height: int, colour: str, kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, kind)
    return out.getvalue()


class Seeder:
    """Projects like the open one, made through the data layer, with their metric events."""

    def __init__(self, studio: Services, owner: User) -> None:
        self.studio, self.owner = studio, owner
        self.events = MetricsWriter(studio.settings.metrics_dir, "bench")
        self.made = 0

    def project(self, with_files: bool = False) -> int:
        db, me = self.studio.db, self.owner
        self.made += 1
        name = f"Film {self.made:04d}"
        pid = projects.create_project(db, me, {"name": name}, self.studio.settings.default_model).id
        scenes.add_scenes(
            db, me, pid,
            [{"prompt": f"shot {n} of the harbour at dawn", "duration": SECONDS, "takes": TAKES}
             for n in range(SCENES)],
        )  # fmt: skip
        for job in jobs.create_generation_jobs(db, me, pid, self.studio.settings.drafts):
            self._complete(job, with_files)
        return pid

    def library(self, project_id: int) -> None:
        db, media, me = self.studio.db, self.studio.media, self.owner
        assets.add_asset(db, media, me, project_id, "character", "Mara", image(256, 256, "red"))
        assets.add_asset(db, media, me, project_id, "style", "Dusk", image(256, 144, "navy"))

    def _complete(self, job: Job, with_files: bool) -> None:
        assert job.scene_id is not None
        jobs.claim_job(self.studio.db, job.id)
        made = []
        for sample in range(job.takes):
            key = take_key(job.project_id, job.scene_id, job.id, sample)
            if with_files:  # the pages play these; the other projects' are rows only
                self.studio.media.write(key, b"\0" * 65_536)
                self.studio.media.write(poster_key(key), image(320, 180, "grey", "JPEG"))
            made.append(
                NewTake(sample, key, poster_key(key), SECONDS, 1280, 720, 24.0, "h264",
                        65_536, sample, 0.0)
            )  # fmt: skip
        jobs.complete_job(self.studio.db, job.id, Generated(tuple(made)))
        self._record(job)

    def _record(self, job: Job) -> None:
        """queued, started and succeeded, a day apart per hundred jobs (the daily chart),
        waits and renders of varied lengths (the timing chart)."""
        at = datetime.now(UTC) - timedelta(days=job.id // 100)
        wait, render = 1.0 + job.id % 30, 10.0 + job.id % 50
        common = {"job_id": job.id, "project_id": job.project_id, "scene_id": job.scene_id,
                  "backend": job.backend, "model": job.model}  # fmt: skip
        self.events.record("queued", ts=at, **common)
        started = at + timedelta(seconds=wait)
        self.events.record("started", ts=started, queue_wait_s=wait, **common)
        self.events.record(
            "succeeded", ts=started + timedelta(seconds=render), render_s=render,
            takes=job.takes, video_s=float(SECONDS * job.takes),
            estimated_cost_usd=job.estimated_cost_usd, **common,
        )  # fmt: skip


@dataclass(frozen=True)
class DataSet:
    folder: Path
    open_id: int  # the project the project pages show
    seeded_s: float  # seconds to add the projects beyond the open one
    user: User  # signed in: the studio signs a user in before any page runs


def build(folder: Path, count: int) -> DataSet:
    """A data folder with the open project and ``count - 1`` more like it."""
    os.environ["VEOGEN_DATA_DIR"] = str(folder)
    studio = Services(load_settings())
    user = local_user(studio.db)
    seeder = Seeder(studio, user)
    open_id = seeder.project(with_files=True)
    seeder.library(open_id)
    start = time.perf_counter()
    for _ in range(count - 1):
        seeder.project()
    seeder.events.flush()
    seeded_s = time.perf_counter() - start
    studio.db.dispose()
    return DataSet(folder, open_id, seeded_s, user)


def use(data: DataSet) -> None:
    """Point the pages at ``data``: their services are built anew from the environment."""
    os.environ["VEOGEN_DATA_DIR"] = str(data.folder)
    services.clear()


def page_app(name: str, data: DataSet) -> AppTest:
    app = AppTest.from_string(f"from pages import {name}\n{name}.render()\n", default_timeout=600)
    if PAGES[name]:
        app.session_state["project_id"] = data.open_id
    app.session_state["user"] = data.user
    return app


def server_times(name: str, sets: dict[str, DataSet], rounds: int) -> dict[str, list[float]]:
    """Seconds per run of the page on each data set, taken in turns so that the machine's
    load weighs on both alike; each timed run follows an untimed one that builds the
    services for its data set, so it is a rerun, as a creator's clicks make."""
    apps = {size: page_app(name, data) for size, data in sets.items()}
    times: dict[str, list[float]] = {size: [] for size in sets}
    for _ in range(rounds):
        for size, app in apps.items():
            use(sets[size])
            app.run()
            start = time.perf_counter()
            app.run()
            times[size].append(time.perf_counter() - start)
            if app.exception:
                raise RuntimeError(f"{name}: {app.exception[0].value}")
            if len(app.main) < 4:  # a page that stopped at "Sign in first" measures nothing
                raise RuntimeError(f"{name}: the page drew almost nothing; is a user signed in?")
    return times


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure(sets: dict[str, DataSet], rounds: int) -> dict[str, dict[str, dict[str, float]]]:
    figures = {}
    for name in PAGES:
        times = server_times(name, sets, rounds)
        figures[name] = {
            size: {"p50": percentile(seen, 0.50), "p95": percentile(seen, 0.95)}
            for size, seen in times.items()
        }
        print(f"  {name}: " + ", ".join(
            f"{size} p50 {f['p50'] * 1000:,.0f} ms p95 {f['p95'] * 1000:,.0f} ms"
            for size, f in figures[name].items()), file=sys.stderr)  # fmt: skip
    return figures


def run(project_count: int, rounds: int) -> dict[str, Any]:
    os.environ.pop("VEOGEN_DATABASE_URL", None)  # SQLite in each data folder, made afresh
    with tempfile.TemporaryDirectory() as tmp:
        sets = {
            "one": build(Path(tmp) / "one", 1),
            "many": build(Path(tmp) / "many", project_count),
        }
        print(f"seeded {project_count - 1:,} projects in {sets['many'].seeded_s:.0f} s",
              file=sys.stderr)  # fmt: skip
        figures = measure(sets, rounds)
    return {
        "projects": project_count,
        "takes": project_count * SCENES * TAKES,
        "rounds": rounds,
        "seeded_s": round(sets["many"].seeded_s, 1),
        "pages": figures,
    }


def report(summary: dict[str, Any]) -> None:
    count = summary["projects"]
    print(f"{count:,} projects, {summary['takes']:,} takes, {summary['rounds']} runs a page")
    print(f"{'page':<11} {'1 project p50/p95':>20} {f'{count:,} projects p50/p95':>24}"
          f" {'p95 ratio':>10}  target p95 <= 300 ms")  # fmt: skip
    for name, both in summary["pages"].items():
        one, many = both["one"], both["many"]
        met = "met" if many["p95"] <= TARGET_P95_S else "MISSED"
        print(
            f"{name:<11} {one['p50'] * 1000:>9,.0f} / {one['p95'] * 1000:>6,.0f} ms"
            f" {many['p50'] * 1000:>13,.0f} / {many['p95'] * 1000:>6,.0f} ms"
            f" {many['p95'] / one['p95']:>9.2f}x  {met}"
        )


def main() -> None:
    # AppTest sets up each page's session outside a run: Streamlit warns of it every time
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20, help="timed runs of each page")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    summary = run(args.projects, args.rounds)
    report(summary)
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
