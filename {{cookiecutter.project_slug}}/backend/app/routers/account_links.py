"""Email verification and forgotten passwords: the anonymous paths that mail one-time links.

Requests that name an address answer `202` with one fixed sentence, and hand the part that
depends on the address to run after the answer is sent (app/after_response.py). Requests that
bring a link's token answer `204`, or `400` with one body for any link that cannot be used.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Response, status

from app.deps import ClientAddress, ServicesDep
from app.password_reset import FORGOT_ACCEPTED
from app.schemas import AcceptedOut, EmailIn, LinkTokenIn, PasswordResetIn
from app.verification import RESEND_ACCEPTED

# Mounted only when the project requires verified addresses.
verification_router = APIRouter(prefix="/auth/verify-email", tags=["account"])
reset_router = APIRouter(prefix="/auth/password", tags=["account"])


@verification_router.post("", status_code=status.HTTP_204_NO_CONTENT)
def verify_email(body: LinkTokenIn, services: ServicesDep, client: ClientAddress) -> Response:
    """Prove the address with the token from the mailed link; the link works once."""
    services.verification.verify(body.token, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@verification_router.post("/resend", status_code=status.HTTP_202_ACCEPTED)
def resend_verification(
    body: EmailIn, services: ServicesDep, client: ClientAddress, later: BackgroundTasks
) -> AcceptedOut:
    """A new link for an account waiting for verification; the same answer for any address."""
    # Counts the attempt now (429); the look-up and any mail happen after the answer is sent.
    later.add_task(services.verification.accept_resend(body.email, client=client))
    return AcceptedOut(detail=RESEND_ACCEPTED)


@reset_router.post("/forgot", status_code=status.HTTP_202_ACCEPTED)
def forgot_password(
    body: EmailIn, services: ServicesDep, client: ClientAddress, later: BackgroundTasks
) -> AcceptedOut:
    """Mail a reset link to the address's account, if there is one; the same answer either way."""
    # Counts the attempt now (429); the look-up and any mail happen after the answer is sent.
    later.add_task(services.password_resets.accept_request(body.email, client=client))
    return AcceptedOut(detail=FORGOT_ACCEPTED)


@reset_router.post("/reset", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(body: PasswordResetIn, services: ServicesDep, client: ClientAddress) -> Response:
    """Set a new password with the mailed link: every session of the account ends."""
    services.password_resets.reset(body.token, body.new_password, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
