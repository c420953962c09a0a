"""Google credentials and the one google-genai client builder, for Veo and for Gemini.

Credentials, first that is set: ``VEOGEN_GOOGLE_ACCESS_TOKEN`` (as ``gcloud auth
print-access-token`` gives; it cannot be renewed), ``VEOGEN_GOOGLE_ACCESS_TOKEN_FILE`` (a
token that something else keeps fresh, read again when Google refuses the one in hand),
``VEOGEN_GOOGLE_CREDENTIALS_FILE`` (a service-account key), then Google's default
credentials. Secrets stay in memory: never logged, stored or shown.
"""

from __future__ import annotations

import os
from pathlib import Path

import google.auth
import google.auth.exceptions
import google.oauth2.credentials
import google.oauth2.service_account
from google import genai
from google.auth.credentials import Credentials
from google.genai import types

from storage.errors import CredentialsMissing
from storage.settings import Settings

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


class TokenFile(Credentials):
    """An access token in a file that another process renews (tokens last an hour, a Veo
    generation can take longer): read again whenever Google refuses the one in hand."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = Path(path)
        self.refresh(None)

    def refresh(self, request: object) -> None:
        try:
            self.token = self.path.read_text().strip()
        except OSError as exc:
            raise CredentialsMissing(
                f"VEOGEN_GOOGLE_ACCESS_TOKEN_FILE: cannot read {self.path} ({exc.strerror})"
            ) from None


def renew(credentials: Credentials) -> None:
    """A fresh token after Google refused the one in hand, or a refusal that says why not."""
    from google.auth.transport.requests import Request  # loaded only when a token expires

    try:
        credentials.refresh(Request())
    except google.auth.exceptions.RefreshError as exc:
        raise CredentialsMissing(
            f"Google refused the access token and it cannot be renewed ({exc}); a fixed "
            "VEOGEN_GOOGLE_ACCESS_TOKEN lasts an hour: use VEOGEN_GOOGLE_ACCESS_TOKEN_FILE, a "
            "service-account key or Google's default credentials"
        ) from None


def google_credentials(settings: Settings) -> Credentials:
    if settings.google_access_token:
        return google.oauth2.credentials.Credentials(token=settings.google_access_token)
    if settings.google_access_token_file:
        return TokenFile(settings.google_access_token_file)
    if settings.google_credentials_file:
        try:
            key: Credentials = google.oauth2.service_account.Credentials.from_service_account_file(
                settings.google_credentials_file, scopes=SCOPES
            )
            return key
        except (OSError, ValueError) as exc:
            raise CredentialsMissing(
                f"VEOGEN_GOOGLE_CREDENTIALS_FILE: cannot use {settings.google_credentials_file} "
                f"as a service-account key ({exc})"
            ) from None
    try:
        credentials, _ = google.auth.default(scopes=SCOPES)
    except google.auth.exceptions.DefaultCredentialsError:
        raise CredentialsMissing(
            "no Google credentials: set VEOGEN_GOOGLE_ACCESS_TOKEN or "
            "VEOGEN_GOOGLE_CREDENTIALS_FILE, or run `gcloud auth application-default login`"
        ) from None
    return credentials


def vertex_configured() -> bool:
    """A Google Cloud project is named, so Vertex AI (Veo, and Gemini without a key) can run."""
    return bool(os.environ.get("GOOGLE_CLOUD_PROJECT"))


def genai_client(
    settings: Settings, *, timeout_ms: int, credentials: Credentials | None = None
) -> genai.Client:
    """The google-genai client in Vertex AI mode, the only one in which 3.x starts Veo jobs.

    Project and location are the SDK's own GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION,
    passed on explicitly: with a custom base URL the SDK would otherwise drop them from the
    request path. Retries are the caller's, so the SDK makes each request once.
    """
    return genai.Client(
        vertexai=True,
        project=os.environ.get("GOOGLE_CLOUD_PROJECT"),
        location=os.environ.get("GOOGLE_CLOUD_LOCATION") or "us-central1",
        credentials=credentials or google_credentials(settings),
        http_options=types.HttpOptions(
            base_url=settings.veo_base_url, retry_options=None, timeout=timeout_ms
        ),
    )


def gemini_client(settings: Settings, *, timeout_ms: int) -> genai.Client | None:
    """Gemini with an API key (Developer API), else through Vertex when a project is named
    and drafts are off, else None: the caller plans locally."""
    key = settings.gemini_api_key or os.environ.get("GEMINI_API_KEY")
    if key:
        options = types.HttpOptions(
            base_url=settings.gemini_base_url, retry_options=None, timeout=timeout_ms
        )
        return genai.Client(api_key=key, http_options=options)
    if not settings.drafts and vertex_configured():
        return genai_client(settings, timeout_ms=timeout_ms)
    return None
