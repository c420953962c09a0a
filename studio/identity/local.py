"""What the studio's own provider and `st.login` share: the client's secret, the cookie
secret and the signing key, made once in the data folder (readable by its owner only),
and the secrets file that points `st.login` at the provider.

When `.streamlit/secrets.toml` configures a provider of its own ([auth.google], …), the
studio signs in with those and the local provider is not started.
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from joserfc.jwk import RSAKey

from storage.settings import Settings

CLIENT_ID = "veogen-studio"
PROVIDER = "local"  # its name in [auth.local] and in st.login("local")


@dataclass(frozen=True)
class LocalProvider:
    issuer: str
    redirect_uri: str
    client_secret: str
    cookie_secret: str
    key: RSAKey


def _private(path: Path, text: str) -> None:
    """Written readable by its owner only, before anything is in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def local_provider(settings: Settings, studio_port: int) -> LocalProvider:
    """The provider's settings, its secrets made on first use and kept in the data folder."""
    folder = settings.data_dir / "auth"
    kept_path, key_path = folder / "local.json", folder / "signing-key.pem"
    if not kept_path.exists():
        kept = {
            "client_secret": secrets.token_urlsafe(32),
            "cookie_secret": secrets.token_urlsafe(32),
        }
        _private(kept_path, json.dumps(kept))
    if not key_path.exists():
        _private(key_path, RSAKey.generate_key(2048, private=True).as_pem(private=True).decode())
    kept = json.loads(kept_path.read_text(encoding="utf-8"))
    host = "localhost"  # the browser's address for both: a cookie set on it comes back
    return LocalProvider(
        issuer=f"http://{host}:{idp_port(settings, studio_port)}",
        redirect_uri=f"http://{host}:{studio_port}/oauth2callback",
        client_secret=kept["client_secret"],
        cookie_secret=kept["cookie_secret"],
        key=RSAKey.import_key(key_path.read_text(encoding="utf-8")),
    )


def idp_port(settings: Settings, studio_port: int) -> int:
    return settings.idp_port or studio_port + 1


def secrets_file(settings: Settings, provider: LocalProvider) -> Path:
    """`st.login`'s settings for the local provider, written where only its owner reads."""
    path = settings.data_dir / "auth" / "secrets.toml"
    metadata = f"{provider.issuer}/.well-known/openid-configuration"
    _private(
        path,
        "# Written by `veogen up` for the studio's own sign-in; made again at each start.\n"
        "[auth]\n"
        f'redirect_uri = "{provider.redirect_uri}"\n'
        f'cookie_secret = "{provider.cookie_secret}"\n'
        f"[auth.{PROVIDER}]\n"
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{provider.client_secret}"\n'
        f'server_metadata_url = "{metadata}"\n'
        'client_kwargs = { scope = "openid email profile", prompt = "login" }\n',
    )
    return path


def own_providers(secrets_path: Path) -> list[str]:
    """The providers a secrets file configures itself ([auth.NAME] sections)."""
    if not secrets_path.exists():
        return []
    with secrets_path.open("rb") as source:
        auth = tomllib.load(source).get("auth", {})
    return [name for name, value in auth.items() if isinstance(value, dict)]
