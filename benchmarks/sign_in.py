"""The sign-in round trip through the studio's own identity provider, and the server time of
a page run with sign-in on against off, each against a baseline measured in the same run.

1. Round trip. The provider (`studio.identity.provider`, with the client, secret and signing
key `studio.identity.local` makes) runs in this process and is driven through httpx's ASGI
transport: no sockets, so what is timed is the server's work and httpx's in-process framing.
One sign-in is the authorization code flow as a browser and Authlib (what `st.login` uses)
make it, each step timed:
  form      GET /authorize: the password form;
  password  POST /authorize: the e-mail and password checked (argon2), a code back;
  token     POST /token (client_secret_basic, the code and its PKCE verifier): an RS256
            ID token signed;
  id_token  the ID token checked as Authlib's `parse_id_token` does (the JWKS it fetched
            once, the signature, then issuer, audience, nonce and times);
  record    `storage.users.sign_in` and the first `still_signed_in` of the login: the
            studio's side, which records who signed in and notes (and audits) the login
            (a returning user: the account's first sign-in is untimed).
The whole is their sum. Baselines in the same round: the discovery document (a trivial
request through the same app and transport: the floor of any request) and one argon2
verify of the account's own hash (the deliberate cost of a password check). Run on SQLite
in a temporary data folder, then on PostgreSQL in a schema of its own when it is reachable.

2. Page runs. The studio's entry `studio/app.py` (the sign-in check of every run, the account
menu, the navigation, the notices, then the default Projects page) runs under Streamlit's
AppTest with `st.user` holding the claims of the ID token verified last, against the same
Projects page run alone (`from pages import projects; projects.render()`, the signed-in
user set in its session, as `benchmarks/pages.py` runs pages). The user owns a few projects
seeded through the data layer. After an untimed first run (which signs in), the two are
rerun in turns, so that the machine's load weighs on both alike; the sign-in check itself
(`storage.users.still_signed_in`) is timed on its own in the same turns. A run's server
time is the wall time of one `AppTest.run()`.

p50 and p95 are nearest-rank percentiles. Run: `python benchmarks/sign_in.py`
(`--sign-ins 3 --rounds 2` for a smoke run; `--json` prints the figures as one JSON line;
`--postgres ''` skips PostgreSQL). Target: the whole sign-in under 100 ms of server time
(p95).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import logging
import math
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from argon2 import PasswordHasher
from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jws import JWSRegistry
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the studio's packages live beside it

from streamlit.testing.v1 import AppTest  # noqa: E402

from storage import accounts, projects, scenes, users  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import LocalAccount, User  # noqa: E402
from storage.settings import Settings, load_settings  # noqa: E402
from studio.identity.local import CLIENT_ID, local_provider  # noqa: E402
from studio.identity.provider import Client, Provider  # noqa: E402
from studio.services import Services  # noqa: E402
from studio.ui import services  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STUDIO_PORT = 8501
EMAIL, NAME, PASSWORD = "mara@example.com", "Mara", "a long password, typed"
DISCOVERY = "/.well-known/openid-configuration"
STEPS = ("form", "password", "token", "id_token", "record")
LABELS = {
    "form": "form (GET /authorize)",
    "password": "password (POST /authorize)",
    "token": "token (POST /token)",
    "id_token": "ID token checked",
    "record": "recorded (sign_in + login)",
    "whole": "whole sign-in",
    "discovery": "baseline: discovery",
    "argon2": "argon2 verify alone",
    "on": "with sign-in (studio/app.py)",
    "off": "without (the page alone)",
    "check": "the check (still_signed_in)",
}
TARGET_S = 0.100


@contextmanager
def timed(took: dict[str, float], step: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    took[step] = time.perf_counter() - start


def expect(ok: bool, what: str) -> None:
    """A step that did not do its work would time nothing worth reporting."""
    if not ok:
        raise RuntimeError(f"the sign-in went wrong at: {what}")


class StudioClient:
    """The studio's side of the flow: its metadata and JWKS fetched once and kept, as
    Authlib keeps them, and a fresh PKCE verifier, state and nonce for every sign-in."""

    def __init__(self, web: httpx.AsyncClient, client: Client, db: Database) -> None:
        self.web, self.client, self.db = web, client, db
        self.metadata: dict[str, Any] = {}
        self.jwks: KeySetSerialization = {"keys": []}
        self.claims: dict[str, Any] = {}  # the last ID token's, as `st.user` holds them
        self.user: User | None = None

    async def discover(self) -> None:
        self.metadata = (await self.web.get(DISCOVERY)).json()
        self.jwks = (await self.web.get(urlparse(self.metadata["jwks_uri"]).path)).json()

    async def sign_in(self) -> dict[str, float]:
        verifier = secrets.token_urlsafe(48)
        challenge = hashlib.sha256(verifier.encode()).digest()
        nonce, state = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        asked = {
            "response_type": "code", "client_id": self.client.client_id,
            "redirect_uri": self.client.redirect_uri, "scope": "openid email profile",
            "state": state, "nonce": nonce, "code_challenge_method": "S256",
            "code_challenge": base64.urlsafe_b64encode(challenge).rstrip(b"=").decode(),
        }  # fmt: skip
        took: dict[str, float] = {}
        with timed(took, "form"):
            form = await self.web.get("/authorize", params=asked)
        expect(form.status_code == 200 and "Password" in form.text, "the form")
        with timed(took, "password"):
            signed = await self.web.post(
                "/authorize", data={**asked, "email": EMAIL, "password": PASSWORD}
            )
        back = parse_qs(urlparse(signed.headers.get("location", "")).query)
        expect(signed.status_code == 302 and back.get("state") == [state], "the password")
        exchange = {
            "grant_type": "authorization_code", "code": back["code"][0],
            "redirect_uri": self.client.redirect_uri, "code_verifier": verifier,
        }  # fmt: skip
        with timed(took, "token"):
            tokens = await self.web.post(
                "/token", data=exchange, auth=(self.client.client_id, self.client.secret)
            )
        expect(tokens.status_code == 200, "the token")
        with timed(took, "id_token"):
            self.claims = self._checked(tokens.json(), nonce)
        with timed(took, "record"):
            self.user = users.sign_in(
                self.db, self.claims["iss"], self.claims["sub"], self.claims["email"],
                self.claims["name"],
            )  # fmt: skip
            # the first page run of a new login: noted, and audited once
            login = hashlib.sha256(self.claims["nonce"].encode()).hexdigest()
            users.still_signed_in(self.db, self.user.id, login, timedelta(hours=12))
        took["whole"] = sum(took[step] for step in STEPS)
        return took

    def _checked(self, token: dict[str, Any], nonce: str) -> dict[str, Any]:
        """What Authlib's `parse_id_token` does with an authorization code's ID token."""
        keys = KeySet.import_key_set(self.jwks)
        algorithms = self.metadata["id_token_signing_alg_values_supported"]
        decoded = jwt.decode(
            token["id_token"],
            keys,
            registry=JWSRegistry(algorithms=algorithms, strict_check_header=False),
        )
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {"iss": {"values": [self.metadata["issuer"]]}},
            {"nonce": nonce, "client_id": self.client.client_id,
             "access_token": token["access_token"]},
        )  # fmt: skip
        claims.validate(leeway=120)
        return dict(claims)


async def sign_ins(
    provider: Provider, db: Database, stored: str, count: int
) -> tuple[dict[str, list[float]], StudioClient]:
    """Seconds per step of ``count`` sign-ins, each round with its two baselines; ``stored``
    is the account's password hash."""
    hasher = PasswordHasher()  # a hash carries its own parameters: the same work as a sign-in's
    transport = httpx.ASGITransport(app=provider.app())
    async with httpx.AsyncClient(transport=transport, base_url=provider.issuer) as web:
        studio = StudioClient(web, provider.client, db)
        await studio.discover()
        await studio.sign_in()  # untimed: a first request, connection and user are made once
        times: dict[str, list[float]] = {}
        for _ in range(count):
            took = await studio.sign_in()
            with timed(took, "discovery"):
                found = await web.get(DISCOVERY)
            expect(found.status_code == 200, "the discovery")
            with timed(took, "argon2"):
                hasher.verify(stored, PASSWORD)
            for step, seconds in took.items():
                times.setdefault(step, []).append(seconds)
    return times, studio


@contextmanager
def postgres(url: str) -> Iterator[Database | None]:
    """A migrated database in a schema of its own, dropped after; None when unreachable."""
    admin = create_engine(url, connect_args={"connect_timeout": 2})
    schema = f"bench_{secrets.token_hex(6)}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError:
        admin.dispose()
        yield None
        return
    db = Database(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        db.migrate()
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def round_trip(
    settings: Settings, db: Database, count: int
) -> tuple[dict[str, list[float]], StudioClient]:
    local = local_provider(settings, STUDIO_PORT)
    client = Client(CLIENT_ID, local.client_secret, local.redirect_uri)
    # the operator's first account (no admin yet), as `veogen up` makes it
    accounts.add_account(db, None, EMAIL, NAME, PASSWORD)
    with db.session() as s:  # the baseline verifies the account's own hash
        stored = s.scalars(select(LocalAccount.password_hash)).one()
    provider = Provider(local.issuer, client, local.key, db)
    return asyncio.run(sign_ins(provider, db, stored, count))


def seed(studio: Services, owner: User, count: int) -> list[str]:
    """``count`` projects of three scenes each, owned by the signed-in user."""
    names = [f"Film {n:02d}" for n in range(1, count + 1)]
    for name in names:
        made = projects.create_project(
            studio.db, owner, {"name": name}, studio.settings.default_model
        )
        scenes.add_scenes(
            studio.db, owner, made.id,
            [{"prompt": f"shot {n} of the harbour at dawn", "duration": 8} for n in range(3)],
        )  # fmt: skip
    return names


def page_runs(
    studio: Services, owner: User, claims: dict[str, Any], names: list[str], rounds: int
) -> dict[str, list[float]]:
    """Seconds per rerun of the studio's entry and of the Projects page alone, in turns,
    and of the sign-in check alone."""
    gated = AppTest.from_file(str(ROOT / "studio" / "app.py"), default_timeout=600)
    gated.user = {"is_logged_in": True, **claims}
    bare = AppTest.from_string(
        "from pages import projects\nprojects.render()\n", default_timeout=600
    )
    bare.session_state["user"] = owner
    apps = {"on": gated, "off": bare}
    for app in apps.values():
        app.run()  # untimed: the entry signs in at its first run, and the services are built
    idle = timedelta(hours=studio.settings.idle_hours)
    login = secrets.token_hex(32)  # a login of its own: noted at its first use, read after
    users.still_signed_in(studio.db, owner.id, login, idle)
    times: dict[str, list[float]] = {"on": [], "off": [], "check": []}
    for _ in range(rounds):
        for side, app in apps.items():
            start = time.perf_counter()
            app.run()
            times[side].append(time.perf_counter() - start)
            if app.exception:
                raise RuntimeError(f"{side}: {app.exception[0].value}")
            shown = {h.value for h in app.subheader}
            if not shown.issuperset(names):  # the sign-in page or "Sign in first" measures nothing
                raise RuntimeError(f"{side}: the Projects page did not show the user's projects")
        start = time.perf_counter()
        users.still_signed_in(studio.db, owner.id, login, idle)
        times["check"].append(time.perf_counter() - start)
    return times


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary_of(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        step: {"p50": percentile(seen, 0.50), "p95": percentile(seen, 0.95)}
        for step, seen in times.items()
    }


def run(sign_in_count: int, rounds: int, project_count: int, postgres_url: str) -> dict[str, Any]:
    os.environ.pop("VEOGEN_DATABASE_URL", None)  # SQLite in the data folder, made afresh
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VEOGEN_DATA_DIR"] = tmp
        services.clear()
        settings = load_settings()
        studio = Services(settings)
        times, signed = round_trip(settings, studio.db, sign_in_count)
        trips = {"sqlite": summary_of(times)}
        if postgres_url:
            with postgres(postgres_url) as db:
                if db is None:
                    print(
                        f"PostgreSQL is not reachable at {postgres_url}: skipped", file=sys.stderr
                    )
                else:
                    trips["postgresql"] = summary_of(round_trip(settings, db, sign_in_count)[0])
        assert signed.user is not None
        names = seed(studio, signed.user, project_count)
        pages = summary_of(page_runs(studio, signed.user, signed.claims, names, rounds))
        studio.db.dispose()
    return {
        "sign_ins": sign_in_count,
        "rounds": rounds,
        "projects": project_count,
        "round_trip": trips,
        "pages": pages,
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def report(summary: dict[str, Any]) -> None:
    for database, steps in summary["round_trip"].items():
        print(f"sign-in round trip through the local provider, {database}, "
              f"{summary['sign_ins']} sign-ins")  # fmt: skip
        for step, f in steps.items():
            print(f"  {LABELS[step]:<30} p50 {ms(f['p50']):>10}  p95 {ms(f['p95']):>10}")
        whole, floor, argon2 = steps["whole"], steps["discovery"], steps["argon2"]
        met = "met" if whole["p95"] < TARGET_S else "MISSED"
        print(f"  whole sign-in p95 under 100 ms: {met}")
        print(f"  sign-in / discovery (p50): {whole['p50'] / floor['p50']:,.0f}x")
        print(f"  argon2 share of the sign-in (p50): {argon2['p50'] / whole['p50']:.0%}")
    pages = summary["pages"]
    print(f"Projects page ({summary['projects']} projects) with sign-in on and off, "
          f"{summary['rounds']} runs each")  # fmt: skip
    for side, f in pages.items():
        print(f"  {LABELS[side]:<30} p50 {ms(f['p50']):>10}  p95 {ms(f['p95']):>10}")
    on, off = pages["on"], pages["off"]
    print(f"  page with sign-in / without (p50 / p95): {on['p50'] / off['p50']:.2f}x / "
          f"{on['p95'] / off['p95']:.2f}x")  # fmt: skip
    print(f"  the check alone / the page without (p50): {pages['check']['p50'] / off['p50']:.0%}")


def main() -> None:
    # AppTest sets up each page's session outside a run: Streamlit warns of it every time
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sign-ins", type=int, default=100, help="timed sign-ins a database")
    parser.add_argument("--rounds", type=int, default=50, help="timed runs of each page")
    parser.add_argument("--projects", type=int, default=5, help="the user's projects")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="'' skips PostgreSQL")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    summary = run(args.sign_ins, args.rounds, args.projects, args.postgres)
    report(summary)
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
