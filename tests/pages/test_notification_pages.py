"""The owner's webhooks on the Members page (a refused address named, the secret shown once,
each delivery in the log) and each person's e-mail choice in the inbox."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from storage import comments, email_prefs, members, scenes, users, webhooks
from storage.models import EmailMode
from storage.users import local_user
from studio.services import Services
from studio.ui import plain
from tests.pages.test_pages import MARA, page, seeded, signed_in_app
from tests.storage.made_takes import made_take


def add(app: AppTest, url: str) -> AppTest:
    next(t for t in app.text_input if t.label == "Webhook URL").input(url)
    return next(b for b in app.button if b.label == "Add webhook").click().run()


def test_an_owner_adds_a_webhook_sees_its_secret_once_and_its_deliveries(
    studio: Services,
) -> None:
    pid = seeded(studio)
    owner = local_user(studio.db)
    app = page("members", pid)
    assert not app.exception
    assert [h.value for h in app.subheader] == ["Webhooks"]
    add(app, "ftp://hooks.example.com/in")
    assert [e.value for e in app.error] == [
        plain("webhook URL: 'ftp://hooks.example.com/in' is not a web address; it starts "
              "with https:// (or http://)")
    ]  # fmt: skip
    add(app, "https://hooks.example.com/in")
    assert app.error == []
    (hook,) = webhooks.list_webhooks(studio.db, owner, pid)
    assert "https://hooks.example.com/in" in [t.value for t in app.text]
    (secret,) = [c.value for c in app.code]
    assert secret.startswith("whsec_")
    assert any("Copy it into the receiver now: it is not shown again" in c.value
               for c in app.caption)  # fmt: skip
    assert "Nothing sent yet." in [c.value for c in app.caption]

    (scene,) = scenes.list_scenes(studio.db, owner, pid)
    take = made_take(studio.db, owner, pid, scene.id, 4.0)
    comments.add_comment(studio.db, owner, take.id, None, "warmer light", 3)
    app.run()
    assert app.code == []  # once only
    (log,) = [d.value for d in app.dataframe]
    assert list(log["Event"]) == ["Comment"] and list(log["Status"]) == ["waiting"]
    next(b for b in app.button if b.label == "Delete").click().run()
    assert webhooks.list_webhooks(studio.db, owner, pid) == []
    assert [s.value for s in app.success] == ["Webhook deleted"]
    assert hook.url not in str(app.markdown)


def test_only_the_owner_sees_the_webhooks(studio: Services) -> None:
    pid = seeded(studio)
    ravi = users.sign_in(studio.db, "https://idp.example", "ravi-1", "ravi@example.com", "Ravi")
    members.invite(studio.db, local_user(studio.db), pid, ravi.email, "editor")
    app = page("members", pid, as_user=ravi)
    assert not app.exception
    assert app.subheader == [] and "Webhook URL" not in [t.label for t in app.text_input]


def test_each_person_chooses_what_is_e_mailed_and_hears_when_nothing_can_be(
    studio: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = signed_in_app(MARA)
    assert not app.exception
    choice = app.sidebar.selectbox(key="email-mode")
    assert choice.label == "E-mail me" and choice.value == EmailMode.mentions
    said = [c.value for c in app.sidebar.caption]
    assert (
        "This studio has no mail server set up, so it sends no e-mail for now; your choice "
        "counts once it has one." in said
    )
    choice.select(EmailMode.digest).run()
    mara = users.acting_user(studio.db, "mara@example.com")
    assert email_prefs.email_mode(studio.db, mara) == EmailMode.digest

    monkeypatch.setenv("VEOGEN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VEOGEN_SMTP_FROM", "studio@veogen.example")
    app = signed_in_app(MARA)
    assert app.sidebar.selectbox(key="email-mode").value == EmailMode.digest
    assert f"To {plain('mara@example.com')}, once a day at 08:00 UTC, if anything is new." in [
        c.value for c in app.sidebar.caption
    ]
