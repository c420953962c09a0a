"""The studio's own OpenID Connect provider speaks the protocol: discovery, the sign-in
form, a code bound to its PKCE challenge and used once, a signed ID token, userinfo."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlparse

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.testclient import TestClient

from storage import accounts
from storage.db import Database
from studio.identity.provider import Client, Provider

REDIRECT = "http://localhost:8501/oauth2callback"
VERIFIER = "a-verifier-of-enough-length-for-pkce-0123456789"
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)


def request(**extra: str) -> dict[str, str]:
    return {
        "response_type": "code", "client_id": "studio", "redirect_uri": REDIRECT,
        "scope": "openid email profile", "state": "s1", "nonce": "n1",
        "code_challenge": CHALLENGE, "code_challenge_method": "S256", **extra,
    }  # fmt: skip


def test_a_user_signs_in_and_the_studio_gets_a_signed_id_token(db: Database) -> None:
    account = accounts.add_account(db, None, "mara@example.com", "Mara", "a long password")
    provider = Provider(
        "http://localhost:8502", Client("studio", "s3cret", REDIRECT), RSAKey.generate_key(2048), db
    )
    web = TestClient(provider.app(), follow_redirects=False)
    found = web.get("/.well-known/openid-configuration").json()
    assert found["code_challenge_methods_supported"] == ["S256"]
    assert found["token_endpoint"] == "http://localhost:8502/token"
    assert "Password" in web.get("/authorize", params=request()).text
    elsewhere = web.get("/authorize", params=request(redirect_uri="http://evil.example/cb"))
    assert elsewhere.status_code == 400 and "does not know" in elsewhere.text
    wrong = web.post("/authorize", data={**request(), "email": account.email, "password": "no"})
    assert "e-mail or password is wrong" in wrong.text
    signed = web.post(
        "/authorize", data={**request(), "email": account.email, "password": "a long password"}
    )
    back = urlparse(signed.headers["location"])
    assert signed.status_code == 302 and back._replace(query="").geturl() == REDIRECT
    code = parse_qs(back.query)["code"][0]
    assert parse_qs(back.query)["state"] == ["s1"]

    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    auth = ("studio", "s3cret")
    assert (
        web.post(
            "/token", data={**exchange, "code_verifier": VERIFIER}, auth=("studio", "no")
        ).status_code
        == 401
    )
    assert web.post("/token", data={**exchange, "code_verifier": "not it"}, auth=auth).json() == {
        "error": "invalid_grant"
    }
    # the wrong verifier used the code up: a code is good for one exchange only
    signed = web.post(
        "/authorize", data={**request(), "email": account.email, "password": "a long password"}
    )
    code = parse_qs(urlparse(signed.headers["location"]).query)["code"][0]
    tokens = web.post(
        "/token", data={**exchange, "code": code, "code_verifier": VERIFIER}, auth=auth
    ).json()
    keys = KeySet.import_key_set(web.get("/jwks").json())
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert (claims["iss"], claims["aud"], claims["sub"], claims["nonce"]) == (
        "http://localhost:8502",
        "studio",
        str(account.id),
        "n1",
    )
    assert claims["email"] == "mara@example.com" and claims["name"] == "Mara"
    again = web.post(
        "/token", data={**exchange, "code": code, "code_verifier": VERIFIER}, auth=auth
    )
    assert again.json() == {"error": "invalid_grant"}
    info = web.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.json()["email"] == "mara@example.com"
