"""Messages that survive the rerun an action makes, on a page and in a live fragment."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from studio.ui import plain


def live_list() -> None:
    import streamlit as st

    from storage.errors import Conflict
    from studio.ui import act, messages

    def refuse() -> None:
        raise Conflict("job 7 has already failed; only a queued or running job can be cancelled")

    @st.fragment(run_every=1.0)
    def jobs() -> None:
        messages("jobs")
        if st.button("Cancel"):
            act(refuse, area="jobs")

    jobs()


def test_a_refusal_in_a_live_fragment_stays_until_dismissed() -> None:
    app = AppTest.from_function(live_list, default_timeout=30).run()
    app.button[0].click().run()
    for _ in range(3):  # the fragment reruns every second; the refusal stays
        assert [e.value for e in app.error] == [
            "job 7 has already failed; only a queued or running job can be cancelled"
        ]
        app.run()
    next(b for b in app.button if b.label == "Dismiss").click().run()
    assert not app.error and not app.exception


def refused_form() -> None:
    import streamlit as st

    from storage.errors import FieldError, InvalidInput
    from studio.ui import act, messages

    def refuse() -> None:
        raise InvalidInput([FieldError("captions[2].start", "'soon' is not a number of seconds")])

    messages()
    if st.button("Save"):
        act(refuse)


def test_a_refusal_names_its_field_in_words() -> None:
    app = AppTest.from_function(refused_form, default_timeout=30).run()
    app.button[0].click().run()
    said = "caption line 2 start: 'soon' is not a number of seconds"
    assert [e.value for e in app.error] == [plain(said)]  # shown as text, never Markdown
