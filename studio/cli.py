"""The `veogen` command: the same operations as the studio, through the same functions."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from storage import accounts, cut, limits, users
from storage import jobs as job_store
from storage import scenes as scene_store
from storage.db import Database
from storage.errors import QueueUnavailable, StudioError
from storage.limits import limits_in_words
from storage.media import save_as
from storage.models import Job, JobStatus, User
from storage.reports import project_status
from storage.settings import load_settings
from storage.storyboard import export_storyboard, import_storyboard, write_export
from studio.services import Services

app = typer.Typer(help="VeoGen Studio: plan, generate and assemble AI video.", no_args_is_help=True)


ACTING: dict[str, str | None] = {"email": None}  # who the commands act as: --as


@app.callback()
def _acting_as(
    email: Annotated[
        str | None,
        typer.Option("--as", envvar="VEOGEN_USER", help="The user the command acts as (e-mail)."),
    ] = None,
) -> None:
    ACTING["email"] = email


def _services() -> Services:
    return Services(load_settings())


def _user(services: Services) -> User:
    """The user a command acts as, checked as a signed-in one is: known and not disabled."""
    email = ACTING["email"]
    if not email:
        _fail("say who acts: --as EMAIL (or VEOGEN_USER); `veogen user list` shows the users")
    return users.acting_user(services.db, email)


def _admin(services: Services) -> User | None:
    """The admin a command acts as, once the studio has one; None before (the first is
    made by the operator, before anyone can sign in). The data layer checks it again.
    Asked of the database as it is: ``services.db`` would migrate it first."""
    db = Database(services.settings.db_url)
    try:
        anyone = users.has_admin(db)
    except StudioError:  # no schema yet: nobody to ask
        anyone = False
    if not anyone:
        return None
    admin = _user(services)  # the schema is there: nothing to migrate
    if not admin.is_admin:
        _fail(f"{ACTING['email']} is not an admin of this studio; ask one")
    return admin


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@app.command()
def up(port: Annotated[int, typer.Option(help="The studio's port.")] = 8501) -> None:
    """Start the embedded Redis, an engine and the studio; Ctrl-C stops all three."""
    from studio.runner import up as run_up

    raise typer.Exit(run_up(load_settings(), port))


@app.command()
def identity(studio_port: Annotated[int, typer.Option(help="The studio's port.")] = 8501) -> None:
    """Run the studio's own sign-in provider (`veogen up` starts it)."""
    import uvicorn

    from storage.logs import configure_logging
    from studio.identity.local import CLIENT_ID, idp_port, local_provider
    from studio.identity.provider import Client, Provider

    settings = load_settings()
    local = local_provider(settings, studio_port)
    client = Client(CLIENT_ID, local.client_secret, local.redirect_uri)
    provider = Provider(local.issuer, client, local.key, Database(settings.db_url))
    port = idp_port(settings, studio_port)
    configure_logging(settings, "identity")  # uvicorn's lines too: it keeps to the root's
    uvicorn.run(
        provider.app(),
        host=settings.studio_address,
        port=port,
        log_level="warning",
        log_config=None,
    )


@app.command()
def studio(port: int = 8501) -> None:
    """Start only the studio (Streamlit)."""
    import os
    import subprocess

    from studio.runner import ROOT, exposure, sign_in_setup, studio_command

    settings = load_settings()
    typer.echo(exposure(settings.studio_address))
    secrets, _ = sign_in_setup(settings, port)  # the local provider runs apart: `veogen identity`
    command = studio_command(settings.studio_address, port, secrets)
    raise typer.Exit(subprocess.call(command, env={**os.environ, **settings.as_env()}, cwd=ROOT))


@app.command()
def engine(
    concurrency: Annotated[
        int | None, typer.Option(help="Jobs run at once.", min=1, max=10_000)
    ] = None,
) -> None:
    """Start an engine process that consumes the job queue."""
    from engine import run_engine

    run_engine(load_settings(), concurrency)


@app.command()
def migrate() -> None:
    """Bring the metadata database up to the latest schema."""
    services = _services()
    _admin(services)
    services.db.migrate()
    typer.echo("database is up to date")


@app.command("import")
def import_(path: Path) -> None:
    """Create a project from a storyboard YAML file; prints its id last."""
    services = _services()
    user = _user(services)
    project = import_storyboard(
        services.db, user, path, services.settings.default_model, services.media
    )
    count = len(scene_store.list_scenes(services.db, user, project.id))
    typer.echo(f"imported '{project.name}' with {count} scenes")
    typer.echo(project.id)


@app.command()
def export(
    project: int, output: Annotated[Path | None, typer.Option("--output", "-o")] = None
) -> None:
    """Write a project's storyboard as YAML (to stdout, or to --output with its music)."""
    services = _services()
    exported = export_storyboard(services.db, _user(services), project)
    if output:
        write_export(exported, output, services.media)
        typer.echo(f"wrote {output}" + "".join(f" and {name}" for name in exported.files))
    else:
        typer.echo(exported.text, nl=False)
        for name in exported.files:
            typer.echo(f"note: {name} is not written to stdout; use --output", err=True)


@app.command()
def generate(
    project: int,
    scene: Annotated[
        list[int] | None, typer.Option("--scene", help="Scene number (1-based); repeat.")
    ] = None,
    takes: Annotated[int | None, typer.Option(help="Takes per scene.")] = None,
    wait: Annotated[
        bool, typer.Option(help="Wait with a progress bar; fail if any job fails.")
    ] = False,
) -> None:
    """Queue generation of a project's scenes."""
    services = _services()
    user = _user(services)
    scene_ids = None
    if scene:
        ordered = scene_store.list_scenes(services.db, user, project)
        bad = [n for n in scene if not 1 <= n <= len(ordered)]
        if bad:
            _fail(f"--scene {bad[0]}: the project has scenes 1 to {len(ordered)}")
        scene_ids = [ordered[n - 1].id for n in scene]
    queued = services.jobs.generate(user, project, scene_ids, takes)
    typer.echo(f"queued {len(queued)} job(s): {', '.join(str(j.id) for j in queued)}")
    if wait:
        failed = _wait(services, [j.id for j in queued])
        if failed:
            for job in failed:
                typer.echo(f"job {job.id} {job.status}: {job.error_stage}: {job.error}", err=True)
            raise typer.Exit(1)


def _wait(services: Services, job_ids: list[int], label: str = "generating") -> list[Job]:
    """Block until the jobs finish, with a bar; returns those that did not succeed."""
    with typer.progressbar(length=1000, label=label) as bar:
        shown = 0
        while True:
            found = job_store.find_jobs(services.db, job_ids)
            jobs = [found[i] for i in job_ids]
            try:
                live = services.jobs.progress(job_ids)
            except QueueUnavailable:
                live = {}  # Redis is away: jobs go on, their live progress waits
            done = sum(
                1.0
                if JobStatus(j.status).finished
                else (live[j.id].fraction if j.id in live else 0.0)
                for j in jobs
            )
            target = int(1000 * done / len(jobs))
            bar.update(target - shown)
            shown = target
            if all(JobStatus(j.status).finished for j in jobs):
                return [j for j in jobs if j.status != JobStatus.succeeded]
            time.sleep(0.5)


@app.command()
def retry(job: int) -> None:
    """Send again a job whose request may have been billed (it could be paid twice)."""
    services = _services()
    services.jobs.retry(_user(services), job)
    typer.echo(f"job {job} queued again")


@app.command("give-up")
def give_up(job: int) -> None:
    """Leave unsent a job whose request may have been billed; its reservation stays."""
    services = _services()
    services.jobs.give_up(_user(services), job)
    typer.echo(f"job {job} left unsent; its estimate stays reserved")


@app.command()
def render(
    project: int,
    preset: Annotated[str, typer.Option(help="720p, 1080p or 4k.")] = "1080p",
    aspect: Annotated[str, typer.Option(help="16:9, 9:16 or 1:1.")] = "16:9",
    fit: Annotated[str, typer.Option(help="pad or crop a take of another shape.")] = "pad",
    captions: Annotated[bool, typer.Option("--captions", help="Burn the captions in.")] = False,
    clip_audio: Annotated[bool, typer.Option(help="Keep each clip's own sound.")] = True,
    music: Annotated[bool, typer.Option(help="Add the project's music bed.")] = True,
    wait: Annotated[bool, typer.Option(help="Wait with a progress bar.")] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Copy the movie here, a file or a folder (implies --wait)."
        ),
    ] = None,
) -> None:
    """Render the project's movie from its selected takes; keeps it as a new version."""
    folder = output if output and output.is_dir() else output.parent if output else None
    if folder and not folder.is_dir():  # refused before anything is queued
        typer.echo(f"--output: the folder {folder} does not exist", err=True)
        raise typer.Exit(2)
    services = _services()
    user = _user(services)
    settings = {"preset": preset, "aspect_ratio": aspect, "fit": fit, "burn_captions": captions,
                "keep_clip_audio": clip_audio, "use_music": music}  # fmt: skip
    job = services.jobs.render(user, project, settings)
    typer.echo(f"queued render job {job.id}")
    if not (wait or output):
        return
    failed = _wait(services, [job.id], "rendering")
    if failed:
        typer.echo(
            f"render {job.id} {failed[0].status}: {failed[0].error_stage}: {failed[0].error}",
            err=True,
        )
        raise typer.Exit(1)
    movie = next(m for m in cut.list_movies(services.db, user, project) if m.job_id == job.id)
    media = services.media
    target = media.local_path(movie.media_key)
    if output:
        target = output / f"movie-v{movie.version}.mp4" if output.is_dir() else output
        files = {target: movie.media_key, target.with_suffix(".srt"): movie.captions_srt_key,
                 target.with_suffix(".vtt"): movie.captions_vtt_key,
                 target.with_suffix(".otio"): movie.otio_key}  # fmt: skip
        try:
            for path, key in files.items():
                save_as(media, key, path)
        except OSError as exc:
            typer.echo(f"--output: cannot write {target} ({exc.strerror}); the movie is "
                       f"kept as version {movie.version}", err=True)  # fmt: skip
            raise typer.Exit(1) from None
    typer.echo(f"version {movie.version}: {movie.duration:.1f} s, {movie.width}x{movie.height}")
    typer.echo(target)


@app.command()
def status(
    project: int,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    wait: Annotated[
        bool, typer.Option(help="First wait until no job is queued or running.")
    ] = False,
) -> None:
    """Scenes, jobs and takes of a project, with the takes' media files."""
    services = _services()
    user = _user(services)
    project_status(services.db, user, project)  # a stranger is refused before any wait
    while wait and job_store.active_count(services.db, project):
        time.sleep(0.5)
    report = project_status(services.db, user, project)
    for scene in report["scenes"]:
        for take in scene["takes"]:  # local paths beside the keys, for scripts to open
            take["file"] = str(services.media.local_path(take["media_key"]))
            poster = take["poster_key"]
            take["poster"] = str(services.media.local_path(poster)) if poster else None
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for s in report["scenes"]:
        typer.echo(f"{s['number']:>2}. {s['title']} ({s['duration']}s) — {len(s['takes'])} take(s)")
        for t in s["takes"]:
            mark = "*" if t["id"] == s["selected_take"] else " "
            draft = " [draft preview]" if t["draft"] else ""
            typer.echo(f"    {mark} take {t['id']}: {t['file']}{draft}")
    for j in report["jobs"]:
        said = j["error"] or j["notice"]
        typer.echo(f"job {j['id']}: {j['status']}" + (f" — {said}" if said else ""))


users_app = typer.Typer(help="The studio's users and its own sign-in accounts.")
app.add_typer(users_app, name="user")


@users_app.command("add")
def user_add(
    email: str,
    name: Annotated[str, typer.Option(help="The name people see.")],
    admin: Annotated[bool, typer.Option(help="An admin of the whole studio.")] = False,
) -> None:
    """An account of the studio's own sign-in, with a password shown once."""
    services = _services()
    actor = _admin(services)
    db = services.db
    password = accounts.new_password()
    account = accounts.add_account(db, actor, email, name, password)
    if admin:
        users.set_flags(db, actor, account.email, admin=True)
    typer.echo(f"{account.email} signs in with the password {password} (shown only this once)")


@users_app.command("list")
def user_list() -> None:
    """Every user: how they sign in, admin or not, disabled or not."""
    services = _services()
    actor = _admin(services)
    db = services.db
    local = accounts.account_emails(db)
    for user in users.list_users(db, actor):
        how = (
            "this studio's account" if user.email in local else (user.issuer or "not signed in yet")
        )
        flags = [f for f, on in (("admin", user.is_admin), ("disabled", user.disabled)) if on]
        flags += limits_in_words(user)
        typer.echo(f"{user.email}\t{user.name}\t{how}" + (f"\t{', '.join(flags)}" if flags else ""))


@users_app.command("limit")
def user_limit(
    email: str,
    spend_per_day: Annotated[
        str | None,
        typer.Option(help="USD their jobs may reserve in any 24 hours; 'none' for no limit."),
    ] = None,
    jobs_in_flight: Annotated[
        str | None, typer.Option(help="Their jobs queued or running at once; 'none' for no limit.")
    ] = None,
) -> None:
    """Limit what a user may spend a day and how many of their jobs run at once."""
    services = _services()
    given = {"spend per day": spend_per_day, "jobs in flight": jobs_in_flight}
    changes = {name: value for name, value in given.items() if value is not None}
    if not changes:
        _fail("say which limit: --spend-per-day USD, --jobs-in-flight N ('none' lifts it)")
    actor = _admin(services)  # before services.db, which migrates
    user = limits.set_limits(services.db, actor, email, changes)
    typer.echo(f"{user.email}: {', '.join(limits_in_words(user)) or 'no limits'}")


@users_app.command("disable")
def user_disable(
    email: str,
    enable: Annotated[bool, typer.Option(help="Let them in again.")] = False,
) -> None:
    """Shut a user out (at their next page run), or let them in again."""
    services = _services()
    actor = _admin(services)  # before services.db, which migrates
    user = users.set_flags(services.db, actor, email, disabled=not enable)
    typer.echo(f"{user.email} is {'enabled' if enable else 'disabled'}")


@users_app.command("password")
def user_password(email: str) -> None:
    """A new password for an account of the studio's own sign-in, typed twice."""
    services = _services()
    actor = _admin(services)
    password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    accounts.set_password(services.db, actor, email, password)
    typer.echo(f"{email}: password changed")


def main() -> None:
    try:
        # without standalone mode click returns a command's typer.Exit code instead of exiting
        code = app(standalone_mode=False)
    except StudioError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as exc:  # a usage error: a bad option or argument
        exc.show()  # type: ignore[attr-defined]  # click's UsageError, not the base class
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
