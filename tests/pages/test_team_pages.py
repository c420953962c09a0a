"""The pages as each member of a team meets them: a reviewer is offered nothing that
spends or edits, another's project cannot be opened by its id, the Audit and Users pages."""

from __future__ import annotations

from datetime import timedelta

from streamlit.testing.v1 import AppTest

from storage import limits, members, review_sessions, scenes, users
from storage.models import User, utcnow
from storage.users import bootstrap_admin, local_user
from studio.services import Services
from studio.ui import plain
from tests.pages.test_pages import page, seeded
from tests.storage.made_takes import made_take

SPENDING = ("Generate", "Queue", "Render the movie", "Upload", "Delete", "Use this take")


def reviewer(studio: Services, pid: int) -> User:
    ravi = users.sign_in(studio.db, "https://idp.example", "ravi-1", "ravi@example.com", "Ravi")
    members.invite(studio.db, local_user(studio.db), pid, ravi.email, "reviewer")
    return ravi


def offered(app: AppTest) -> list[str]:
    return [b.label for b in app.button]


def test_a_reviewer_is_offered_nothing_that_spends_or_edits(studio: Services) -> None:
    pid = seeded(studio)
    owner_sees = offered(page("storyboard", pid))
    assert any(label.startswith("Generate") for label in owner_sees)  # the test can fail
    ravi = reviewer(studio, pid)
    for name in ("storyboard", "generate", "takes", "movie", "library"):
        app = page(name, pid, as_user=ravi)
        assert not app.exception, name
        assert not [b for b in offered(app) if b.startswith(SPENDING)], name
        assert app.caption[0].value == "Project: **Demo film** · you are a reviewer"
    why = [c.value for c in page("generate", pid, as_user=ravi).caption]
    assert "You are a reviewer on this project: generating (it spends) needs an editor." in why


def test_another_project_cannot_be_opened_by_its_id(studio: Services) -> None:
    pid = seeded(studio)
    stranger = users.sign_in(studio.db, "https://idp.example", "eve-1", "eve@example.com", "Eve")
    for name in ("storyboard", "takes", "movie", "members", "library", "generate"):
        for opened in (page(name, pid, as_user=stranger), page(name, None, stranger, str(pid))):
            assert not opened.exception, name
            assert [e.value for e in opened.error] == [plain(f"project {pid}: no such project")]
            assert opened.info[0].value == "Open a project on the Projects page."
            assert "Demo film" not in str(opened)  # not even its name
    garbled = page("storyboard", None, stranger, "1 OR 1=1")
    assert [e.value for e in garbled.error] == [plain("project '1 OR 1=1': no such project")]


def test_the_audit_page_shows_an_owner_their_projects_and_exports_csv(studio: Services) -> None:
    pid = seeded(studio)
    ravi = reviewer(studio, pid)
    app = page("audit")
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table["Action"]) == ["invited a member", "added scenes", "created the project"]
    assert set(table["Project"]) == {"Demo film"}
    assert app.get("download_button")[0].proto.label == "Download CSV"
    alone = page("audit", as_user=ravi)  # a reviewer owns nothing: told what the page is for
    assert alone.info[0].value.startswith("You own no project yet")


def test_only_admins_manage_users(studio: Services) -> None:
    admin = bootstrap_admin(studio.db)
    assert admin is not None
    ravi = reviewer(studio, seeded(studio))
    refused = page("users", as_user=ravi)
    assert [e.value for e in refused.error] == [
        plain("listing the users needs an admin of this studio; Ravi is not one")
    ]
    app = page("users", as_user=admin)
    assert not app.exception
    assert sorted(app.dataframe[0].value["E-mail"]) == ["local@veogen.studio", "ravi@example.com"]
    app.selectbox[0].select(ravi.id).run()
    spend = next(t for t in app.text_input if t.label == "Spend per day (USD)")
    spend.input("-5")
    next(b for b in app.button if b.label == "Save limits").click().run()
    assert app.error[0].value == plain(
        "spend per day: must be a finite amount, from 0 to 1,000,000 (USD)"
    )
    spend = next(t for t in app.text_input if t.label == "Spend per day (USD)")
    spend.input("25")
    next(b for b in app.button if b.label == "Save limits").click().run()
    assert app.success[0].value == plain("Ravi: $25.00 a day")


def test_the_generate_page_says_what_a_users_limits_leave(studio: Services) -> None:
    pid = seeded(studio)
    owner = local_user(studio.db)
    limits.set_limits(studio.db, None, owner.email, {"spend per day": 5, "jobs in flight": 2})
    studio.jobs.generate(owner, pid)  # one draft in flight, free
    said = [c.value for c in page("generate", pid).caption]
    assert (
        plain("Your limits leave $5.00 of your $5.00 a day and 1 more job(s) in flight of your 2.")
        in said
    )


def test_the_inbox_says_what_is_new_and_marks_it_read(studio: Services) -> None:
    from storage import comments
    from tests.pages.test_pages import MARA, signed_in_app
    from tests.storage.made_takes import made_take

    pid = seeded(studio)
    owner = local_user(studio.db)
    mara = users.sign_in(studio.db, "https://idp.example", "mara-1", "mara@example.com", "Mara")
    members.invite(studio.db, owner, pid, mara.email, "reviewer")
    (scene,) = scenes.list_scenes(studio.db, owner, pid)
    take = made_take(studio.db, owner, pid, scene.id, 4.0)
    comments.add_comment(studio.db, owner, take.id, None, "@mara does this work?", 3)
    app = signed_in_app(MARA)
    (inbox,) = app.sidebar.get("popover")
    assert inbox.proto.popover.label == "Inbox · 1 new"
    assert f"Local creator mentioned you on take {take.id} of 'Opening': @mara does this work?" in [
        t.value for t in app.sidebar.text
    ]
    next(b for b in app.sidebar.button if b.label == "Mark all read").click().run()
    assert app.sidebar.get("popover")[0].proto.popover.label == "Inbox"


def test_only_editors_set_up_review_sessions(studio: Services) -> None:
    pid = seeded(studio)
    owner = local_user(studio.db)
    (scene,) = scenes.list_scenes(studio.db, owner, pid)
    take = made_take(studio.db, owner, pid, scene.id, 2.0)
    now = utcnow()
    review_sessions.create_session(
        studio.db, owner, pid, "Dailies", [(take.id, None)], now, now + timedelta(days=1)
    )
    ravi = reviewer(studio, pid)
    shown = page("sessions", pid, as_user=ravi)
    assert not shown.exception
    assert [e.label for e in shown.expander] == []  # no "New review session"
    assert "Dailies" in shown.markdown[0].value and offered(shown) == ["Open"]
    mine = page("sessions", pid)
    assert [e.label for e in mine.expander] == ["New review session"]
    next(b for b in mine.button if b.label == "Open").click().run()
    assert not mine.exception
    assert "**Guest links**" in [m.value for m in mine.markdown]
    assert "Make a guest link" in offered(mine)
