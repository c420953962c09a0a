"""Inbox e-mail through a real local SMTP server: each person gets what they chose (a
mention or reply at once, everything at once, a daily digest, nothing), once, in plain
text naming the project and what happened."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import update

from engine.mailer import Mailer
from engine.notifier import Notifier
from storage import comments, decisions, email_prefs, members, projects, scenes, users
from storage.db import Database
from storage.models import Role, User, utcnow
from storage.settings import Settings
from tests.engine.receivers import smtp_server
from tests.helpers import until
from tests.storage.made_takes import made_take

MODEL = "veo-3.1-fast-generate-001"


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


def test_each_person_is_mailed_what_they_chose_at_once_or_in_a_digest(
    db: Database, owner: User, tmp_path: Path
) -> None:
    pid = projects.create_project(db, owner, {"name": "Harbour"}, MODEL).id
    (scene,) = scenes.add_scenes(db, owner, pid, [{"title": "Dawn", "prompt": "boats"}])
    take = made_take(db, owner, pid, scene.id, 4.0)
    team = {}
    for name, mode in (("Rae", "immediate"), ("Vic", "digest"), ("Ned", "off")):
        person = users.sign_in(db, "https://idp.example", name, f"{name.lower()}@example.com", name)
        members.add_member(db, owner, pid, person, Role.reviewer)
        email_prefs.set_email_mode(db, person, person.id, mode)
        team[name] = person
    rae, vic = team["Rae"], team["Vic"]  # the owner keeps the default: mentions and replies

    with smtp_server() as (port, received):
        settings = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port,
                            smtp_from="studio@veogen.example", smtp_starttls=False)  # fmt: skip
        hour = (utcnow().hour + 12) % 24  # the last digest time was hours ago
        notifier = Notifier(db, Mailer(settings), digest_hour=hour, interval_s=0.05)

        def to(address: str) -> list[EmailMessage]:
            return [m for m in received if m["To"] == address]

        async def go() -> None:
            stop = asyncio.Event()
            sending = asyncio.create_task(notifier.run(stop))
            try:
                said = comments.add_comment(db, owner, take.id, None, "@rae @vic @ned gull?", 3)
                comments.reply(db, rae, said.id, "Smaller, @local")
                decisions.decide(db, rae, take.id, None, "changes", "Smaller gull")
                await until(lambda: len(to(rae.email)) == 1 and len(to(owner.email)) == 1)
                assert to(vic.email) == []  # her digest's hour has not come since she chose it
                with db.session() as s:  # a day on: her last digest went out yesterday
                    yesterday = utcnow() - timedelta(days=1)
                    s.execute(update(User).where(User.id == vic.id).values(digest_at=yesterday))
                await until(lambda: len(to(vic.email)) == 1)
                await asyncio.sleep(0.5)  # a few more turns: nothing is mailed twice
            finally:
                stop.set()
                await sending

        asyncio.run(go())

    assert sorted(m["To"] for m in received) == sorted([rae.email, owner.email, vic.email])
    (to_rae,) = to(rae.email)
    mention = f"Local creator mentioned you on take {take.id} of 'Dawn': @rae @vic @ned gull?"
    assert to_rae["From"] == "studio@veogen.example"
    assert to_rae["Subject"] == f"Harbour: {mention}"
    assert body(to_rae).startswith("Hello Rae,\n\nHarbour · ")  # the project, then when
    assert f" UTC\n{mention}\n" in body(to_rae)
    assert '"Everything at once"' in body(to_rae)
    (to_owner,) = to(owner.email)  # the reply, not the decision: that waits in the inbox
    assert (
        to_owner["Subject"] == f"Harbour: Rae replied on take {take.id} of 'Dawn': Smaller, @local"
    )
    assert "Rae: changes requested" not in body(to_owner)
    (digest,) = to(vic.email)
    assert digest["Subject"] == "VeoGen Studio: your daily digest, 1 new"
    assert mention in body(digest) and '"A daily digest"' in body(digest)
