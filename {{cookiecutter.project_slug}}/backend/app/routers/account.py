"""The signed-in owner's own account: changing the password, seeing and ending sessions."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.deps import ClientAddress, CurrentSessionId, CurrentUser, ServicesDep
from app.errors import SessionNotFound
from app.schemas import PasswordChangeIn, SessionOut, instant

router = APIRouter(prefix="/auth", tags=["account"])


@router.post("/password/change", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChangeIn,
    user: CurrentUser,
    session_id: CurrentSessionId,
    services: ServicesDep,
    client: ClientAddress,
) -> Response:
    """Replace the password, given the current one; every other session of the account ends."""
    services.password_changes.change(
        user, body.current_password, body.new_password, client=client, session_id=session_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions")
def list_sessions(
    user: CurrentUser, session_id: CurrentSessionId, services: ServicesDep
) -> list[SessionOut]:
    """The account's live sessions, newest first; `current` marks the caller's own."""
    return [
        SessionOut(
            id=live.id,
            created_at=instant(live.created_at),
            last_used_at=None if live.last_used_at is None else instant(live.last_used_at),
            user_agent=live.user_agent,
            current=live.id == session_id,
        )
        for live in services.refresh_sessions.list_live(user.id)
    ]


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def end_session(session_id: str, user: CurrentUser, services: ServicesDep) -> Response:
    """End one of the account's sessions; another account's id is as unknown as a made-up one."""
    if not services.refresh_sessions.end(user.id, session_id):
        raise SessionNotFound
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/sessions/revoke-others", status_code=status.HTTP_204_NO_CONTENT)
def end_other_sessions(
    user: CurrentUser, session_id: CurrentSessionId, services: ServicesDep
) -> Response:
    """End every session of the account but the caller's (all of them for a token without
    `sid`, which cannot say which one is the caller's)."""
    services.refresh_sessions.end_others(user.id, keep=session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
