"""Work a request hands over to run after its answer is sent, so the answer's timing cannot show
it.

Registration (with verification), "forgot password" and "send the link again" answer the same
whatever the address; what they then do differs by address (a new account and its hash, a reset
link, or nothing). That part runs here: under uvicorn the answer has left, and the connection
serves its next request, before this starts. It still runs in one transaction of its own, so a
token and the mail carrying it commit together or not at all.

Nobody waits for this work, so a failure cannot become an error answer: it is audited
(`after_response_failed`) and the person asks again.
"""

from __future__ import annotations

from collections.abc import Callable

from app import audit, db

AfterResponse = Callable[[], None]


def guarded(work: AfterResponse, what: str) -> AfterResponse:
    """`work`, with any failure audited instead of raised into the server's error log."""

    def run() -> None:
        try:
            work()
        except Exception as error:  # nobody is waiting for this work: say what failed, and stop
            reason = db.unavailable_reason(error) or type(error).__name__
            audit.event("after_response_failed", work=what, reason=reason)

    return run
