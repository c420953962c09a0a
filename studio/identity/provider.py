"""The studio's own OpenID Connect provider: what an offline install signs in with, the way
production signs in with Google or Okta.

Authorization code flow with PKCE (S256 required), a discovery document, the signing key
as a JWKS, RS256-signed ID tokens and a userinfo endpoint. One client is registered: the
studio, with its secret and its redirect URI. Codes live a minute in memory and are used
once; accounts and their argon2 hashes are in SQL (`storage.accounts`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from storage import accounts
from storage.accounts import Account
from storage.db import Database
from storage.errors import SignInRefused

CODE_SECONDS = 60
TOKEN_SECONDS = 3600
KEY_ID = "veogen-1"
T = TypeVar("T")


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    redirect_uri: str


@dataclass(frozen=True)
class Grant:
    """What a code stands for until the studio exchanges it (once)."""

    account: Account
    redirect_uri: str
    nonce: str | None
    challenge: str
    expires: float
    auth_time: int


@dataclass
class Provider:
    issuer: str
    client: Client
    key: RSAKey
    db: Database
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, tuple[Account, float]] = field(default_factory=dict)

    def discovery(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "claims_supported": ["sub", "email", "email_verified", "name"],
            }
        )

    def jwks(self, _request: Request) -> Response:
        public = {**self.key.as_dict(private=False), "kid": KEY_ID, "use": "sig", "alg": "RS256"}
        return JSONResponse({"keys": [public]})

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params if request.method == "GET" else await request.form())
        refused = self._refuse_request(params)
        if refused:
            return HTMLResponse(_page(refused, {}), status_code=400)
        if request.method == "GET":
            return HTMLResponse(_page(None, params))
        try:
            # in a thread: a password check takes tens of milliseconds, and the provider
            # serves everyone else's sign-in meanwhile
            account = await run_in_threadpool(
                accounts.verify,
                self.db,
                str(params.get("email", "")),
                str(params.get("password", "")),
            )
        except SignInRefused as exc:  # the form again, the refusal above it
            return HTMLResponse(_page(str(exc), params))
        code = secrets.token_urlsafe(32)
        _forget_expired(self.grants, lambda grant: grant.expires)
        self.grants[code] = Grant(
            account,
            str(params["redirect_uri"]),
            str(params["nonce"]) if params.get("nonce") else None,
            str(params["code_challenge"]),
            time.monotonic() + CODE_SECONDS,
            int(time.time()),
        )
        back = {"code": code, **({"state": params["state"]} if params.get("state") else {})}
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode(back)}", status_code=302)

    def _refuse_request(self, params: dict[str, Any]) -> str | None:
        """Why an authorization request cannot be served (never redirected: the redirect
        URI itself may be what is wrong)."""
        if params.get("client_id") != self.client.client_id:
            return "This sign-in request comes from an application this studio does not know."
        if params.get("redirect_uri") != self.client.redirect_uri:
            return "This sign-in request would return to an address this studio does not know."
        if (
            params.get("response_type") != "code"
            or "openid" not in str(params.get("scope", "")).split()
        ):
            return "This sign-in request asks for something this provider does not give."
        if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
            return "This sign-in request has no PKCE challenge (S256); it is refused."
        return None

    async def token(self, request: Request) -> Response:
        form = await request.form()
        client_id, secret = _client_credentials(request, dict(form))
        if client_id != self.client.client_id or not secrets.compare_digest(
            secret or "", self.client.secret
        ):
            return _oauth_error("invalid_client", 401)
        grant = self.grants.pop(str(form.get("code", "")), None)  # a code is used once
        if grant is None or grant.expires < time.monotonic():
            return _oauth_error("invalid_grant")
        if form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error("invalid_grant")
        verifier = str(form.get("code_verifier", ""))
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
            return _oauth_error("invalid_grant")
        access = secrets.token_urlsafe(32)
        _forget_expired(self.tokens, lambda token: token[1])
        self.tokens[access] = (grant.account, time.monotonic() + TOKEN_SECONDS)
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS,
                "id_token": self._id_token(grant),
                "scope": "openid email profile",
            },
            headers={"Cache-Control": "no-store"},
        )

    def _id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client.client_id,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            "auth_time": grant.auth_time,
            **_who(grant.account),
            **({"nonce": grant.nonce} if grant.nonce else {}),
        }
        return jwt.encode({"alg": "RS256", "kid": KEY_ID}, claims, self.key)

    def userinfo(self, request: Request) -> Response:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        found = self.tokens.get(bearer)
        if found is None or found[1] < time.monotonic():
            return _oauth_error("invalid_token", 401)
        return JSONResponse(_who(found[0]))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize, methods=["GET", "POST"]),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.userinfo),
                Route("/favicon.ico", lambda _request: Response(status_code=204)),
            ]
        )


def _forget_expired(kept: dict[str, T], expires: Callable[[T], float]) -> None:
    """What was never used, once it cannot be: the maps would grow for ever."""
    now = time.monotonic()
    for key in [k for k, v in kept.items() if expires(v) < now]:
        del kept[key]


def _who(account: Account) -> dict[str, Any]:
    """The claims that say who signed in, in the ID token and from userinfo alike."""
    return {
        "sub": str(account.id),
        "email": account.email,
        "email_verified": True,
        "name": account.name,
    }


def _client_credentials(request: Request, form: dict[str, Any]) -> tuple[str | None, str | None]:
    """client_secret_basic, or client_secret_post."""
    header = request.headers.get("authorization", "")
    if header.startswith("Basic "):
        try:
            pair = base64.b64decode(header[6:]).decode()
        except ValueError:
            return None, None
        client_id, _, secret = pair.partition(":")
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")


def _oauth_error(error: str, status: int = 400) -> Response:
    return JSONResponse({"error": error}, status_code=status, headers={"Cache-Control": "no-store"})


_FIELDS = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
           "code_challenge", "code_challenge_method")  # fmt: skip


def _page(error: str | None, params: dict[str, Any]) -> str:
    """The sign-in form, carrying the request along; a refusal above it in words."""
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(str(params[name]))}">'
        for name in _FIELDS
        if params.get(name)
    )
    said = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    form = (
        f'<form method="post" action="authorize">{hidden}'
        '<label>E-mail<input name="email" type="email" autocomplete="username" required '
        f'value="{html.escape(str(params.get("email", "")))}" autofocus></label>'
        '<label>Password<input name="password" type="password" '
        'autocomplete="current-password" required></label>'
        "<button type=submit>Sign in</button></form>"
        if params
        else ""
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>Sign in · VeoGen Studio</title><style>{_STYLE}</style></head><body><main>"
        f"<h1>VeoGen Studio</h1><p>Sign in with your studio account.</p>{said}{form}"
        "</main></body></html>"
    )


_STYLE = """
body{margin:0;min-height:100vh;display:grid;place-items:center;background:#141414;
color:#eee;font:16px system-ui,sans-serif}main{width:min(360px,90vw)}h1{margin:0 0 4px}
form{display:grid;gap:14px;margin-top:18px}label{display:grid;gap:6px;font-size:14px}
input{padding:10px;border-radius:8px;border:1px solid #555;background:#222;color:#eee;
font-size:16px}button{padding:10px;border:0;border-radius:8px;background:#f5a623;
color:#141414;font-weight:600;font-size:16px;cursor:pointer}
.error{background:#4a1f1f;border-radius:8px;padding:10px;color:#ffb4b4}
"""
