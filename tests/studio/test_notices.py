"""What a notice says when work ends, in words a creator reads."""

from __future__ import annotations

from storage.jobs import UNCONFIRMED
from storage.models import JobKind, JobStatus, utcnow
from storage.notices import Ended
from studio.notices import notice


def ended(kind: JobKind, status: JobStatus, made: int, stage: str | None = None) -> Ended:
    return Ended(1, kind, status, "Harbour", None if kind == JobKind.render else "Quay",
                 made, stage, "the file never came" if stage else None, utcnow())  # fmt: skip


def test_each_ending_is_said_in_words() -> None:
    said = [
        notice(ended(JobKind.generate, JobStatus.succeeded, 1))[0],
        notice(ended(JobKind.generate, JobStatus.succeeded, 3))[0],
        notice(ended(JobKind.render, JobStatus.succeeded, 2))[0],
        notice(ended(JobKind.generate, JobStatus.failed, 0, "download"))[0],
        notice(ended(JobKind.generate, JobStatus.blocked, 0, UNCONFIRMED))[0],
    ]
    assert said == [
        "A new take of 'Quay' (Harbour): see it on the Takes page",
        "3 new takes of 'Quay' (Harbour): compare them on the Takes page",
        "Version 2 of Harbour is ready on the Movie page",
        "Work on 'Quay' (Harbour) failed at download: the file never came",
        "Work on 'Quay' (Harbour) needs you: its request may have reached Google and been "
        "billed; decide on the Generate page whether to send it again",
    ]
