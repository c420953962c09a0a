"""Members: the project's team. The owner invites by e-mail with a role, changes roles,
removes members, transfers the ownership and keeps the project's webhooks; everyone else
sees who is on the team."""

from __future__ import annotations

from functools import partial

import streamlit as st

from storage import members
from storage.models import Project, Role
from studio.ui import act, open_project, plain, services, user
from studio.webhooks_panel import webhooks_panel

ROLE_WORDS = {
    Role.owner: "owner: everything, and the team",
    Role.editor: "editor: plans, generates (spends) and assembles",
    Role.reviewer: "reviewer: comments, approves or asks for changes; never spends",
    Role.viewer: "viewer: watches",
}


def _invite(project: Project) -> None:
    form = st.session_state.setdefault("invite-form", 0)  # a new key empties it once sent
    with st.form(f"invite-{form}"):
        st.markdown("**Invite someone**")
        cols = st.columns([3, 2])
        email = cols[0].text_input("E-mail")
        role = cols[1].selectbox(
            "Role", members.INVITED_ROLES, index=1, format_func=lambda r: ROLE_WORDS[r]
        )
        sent = st.form_submit_button("Invite", type="primary", icon=":material/person_add:")
    if sent:

        def sent_to(said: str) -> str:
            st.session_state["invite-form"] = form + 1  # kept on a refusal, emptied once sent
            return said

        act(partial(members.invite, services().db, user(), project.id, email, role), sent_to)


def _member_row(project: Project, member: members.Member, owner: bool) -> None:
    db, me = services().db, user()
    cols = st.columns([3, 3, 1])
    cols[0].markdown(f"**{plain(member.name)}**  \n{plain(member.email)}")
    if not owner or member.role == Role.owner:
        cols[1].write(ROLE_WORDS[member.role])
        return
    role = cols[1].selectbox(
        "Role",
        members.INVITED_ROLES,
        index=members.INVITED_ROLES.index(member.role),
        format_func=lambda r: ROLE_WORDS[r],
        key=f"role-{member.user_id}",
        label_visibility="collapsed",
    )
    if role != member.role:
        act(partial(members.change_role, db, me, project.id, member.user_id, role),
            f"{member.name} is now {role.value}")  # fmt: skip
    if cols[2].button("Remove", key=f"remove-{member.user_id}", icon=":material/person_remove:"):
        act(partial(members.remove_member, db, me, project.id, member.user_id),
            f"{member.name} left the team")  # fmt: skip


def _transfer(project: Project, team: list[members.Member]) -> None:
    others = [m for m in team if m.role != Role.owner]
    if not others:
        return
    with st.expander("Transfer the ownership"):
        target = st.selectbox("New owner", others, format_func=lambda m: f"{m.name} ({m.email})")
        st.caption("You stay on the team as an editor; the new owner manages the team.")
        sure = st.checkbox(f"Yes, make {target.name} the owner of '{project.name}'")
        if st.button("Transfer", disabled=not sure):
            act(
                partial(
                    members.transfer_ownership, services().db, user(), project.id, target.user_id
                ),
                f"{target.name} owns '{project.name}' now",
            )


def render() -> None:
    st.title("Members")
    project = open_project()
    if project is None:
        return
    db, me = services().db, user()
    team = members.list_members(db, me, project.id)
    owner = any(m.user_id == me.id and m.role == Role.owner for m in team)
    for member in team:
        _member_row(project, member, owner)
    if not owner:
        st.caption("Only the project's owner changes the team.")
        return
    _invite(project)
    invited = members.list_invitations(db, me, project.id)
    if invited:
        st.markdown("**Invited, not signed in yet**")
    for invitation in invited:
        cols = st.columns([3, 3, 1])
        cols[0].write(invitation.email)
        cols[1].caption(f"invited as {Role(invitation.role).value}; joins when they first sign in")
        if cols[2].button("Cancel", key=f"uninvite-{invitation.id}"):
            act(partial(members.cancel_invitation, db, me, project.id, invitation.email))
    _transfer(project, team)
    webhooks_panel(project)
