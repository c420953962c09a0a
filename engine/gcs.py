"""Reading the videos Veo wrote to a ``gs://`` output bucket, with the engine's credentials."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from google.auth.credentials import Credentials

from storage.errors import JobFailed
from storage.settings import Settings


class GcsReader:
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
            raise JobFailed(
                "download", f"cannot read {uri} (HTTP {response.status_code}: {response.reason})"
            )
        return bytes(response.content)
