"""Building the google-genai client (Vertex AI mode) and reading Veo's output from GCS.

Credentials come from ``studio.google_auth``; they stay in memory, never logged or stored.
"""

from __future__ import annotations

import asyncio
import os
from urllib.parse import quote

from google import genai
from google.auth.credentials import Credentials
from google.genai import types

from engine.backend import BackendError
from studio.config import Settings


def vertex_client(settings: Settings, credentials: Credentials) -> genai.Client:
    """Vertex AI mode, the only one in which google-genai 3.x starts Veo jobs.

    Project and location are the SDK's own GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION,
    passed on explicitly: with a custom base URL the SDK would otherwise drop them from the
    request path. Retries are ours (``engine.veo_backend``), so the SDK makes each request
    once.
    """
    options = types.HttpOptions(base_url=settings.veo_base_url, retry_options=None, timeout=120_000)
    return genai.Client(
        vertexai=True,
        project=os.environ.get("GOOGLE_CLOUD_PROJECT"),
        location=os.environ.get("GOOGLE_CLOUD_LOCATION") or "us-central1",
        credentials=credentials,
        http_options=options,
    )


class GcsReader:
    """Reads ``gs://`` objects Veo wrote to the output bucket, with the same credentials."""

    def __init__(self, settings: Settings, credentials: Credentials) -> None:
        # imported here: requests and urllib3 cost an engine 14 MB it only needs for GCS
        from google.auth.transport.requests import AuthorizedSession

        self.base_url = settings.gcs_base_url.rstrip("/")
        self.session = AuthorizedSession(credentials)

    async def read(self, uri: str) -> bytes:
        bucket, _, name = uri.removeprefix("gs://").partition("/")
        url = f"{self.base_url}/storage/v1/b/{bucket}/o/{quote(name, safe='')}?alt=media"
        response = await asyncio.to_thread(self.session.get, url, timeout=300)
        if response.status_code != 200:
            raise BackendError(
                "download", f"cannot read {uri} (HTTP {response.status_code}: {response.reason})"
            )
        return response.content
