"""The Analytics page under AppTest: sections, filters, drill-down and export."""

from __future__ import annotations

from storage.users import get_or_create_user
from studio.services import Services
from tests.pages.analytics_events import seed
from tests.pages.test_pages import page


def test_the_spend_section_drills_from_a_bar_to_a_jobs_timeline(studio: Services) -> None:
    seed(studio)
    app = page("analytics")
    assert not app.exception
    assert [m.value for m in app.metric][:2] == ["$5.00", "$5.00"]
    assert [t.label for t in app.tabs] == ["Spend", "Generation", "Fleet"]
    assert {d.label for d in app.get("download_button")} >= {"Download CSV", "Download Parquet"}
    app.selectbox(key="an-drill-day").select_index(0).run()
    assert app.markdown[0].value.startswith("**3 jobs behind")
    app.selectbox(key="an-drill-day-job").set_value(101).run()
    timeline = app.dataframe[-1].value
    assert timeline["Event"].tolist() == ["Queued", "Started", "Succeeded"]
    assert "Queue wait (s)" in timeline.columns


def test_filters_narrow_every_figure(studio: Services) -> None:
    ids = seed(studio)
    app = page("analytics")
    app.multiselect(key="an-projects").set_value([ids["Orchard"]]).run()
    assert app.metric[0].value == "$1.00"
    app.selectbox(key="an-billing").set_value("Drafts only").run()
    assert app.metric[0].value == "$0.00"
    assert any("Nothing succeeded" in i.value for i in app.info)


def test_someone_in_no_project_is_told_so(studio: Services) -> None:
    seed(studio)
    app = page("analytics", as_user=get_or_create_user(studio.db, "new@example.com", "New"))
    assert not app.exception
    assert "member of" in app.info[0].value
