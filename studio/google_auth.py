"""Google credentials for Veo and Gemini, first that is set.

``VEOGEN_GOOGLE_ACCESS_TOKEN`` (as ``gcloud auth print-access-token`` gives), then
``VEOGEN_GOOGLE_CREDENTIALS_FILE`` (a service-account key), then Google's default
credentials. Secrets stay in memory: never logged, stored or shown.
"""

from __future__ import annotations

import google.auth
import google.auth.exceptions
import google.oauth2.credentials
import google.oauth2.service_account
from google.auth.credentials import Credentials

from storage.errors import StudioError
from studio.config import Settings

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


class CredentialsMissing(StudioError):
    pass


def google_credentials(settings: Settings) -> Credentials:
    if settings.google_access_token:
        return google.oauth2.credentials.Credentials(token=settings.google_access_token)
    if settings.google_credentials_file:
        try:
            return google.oauth2.service_account.Credentials.from_service_account_file(
                settings.google_credentials_file, scopes=SCOPES
            )
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
