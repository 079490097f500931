"""The account mails and the links in them, pointing at the frontend's pages under APP_URL.

A one-time token travels in the fragment (`#token=...`), which browsers never send to a server
nor put in a `Referer`, so it stays out of every access log on the way.
"""

from __future__ import annotations

from app.mail import Message, render
from app.settings import Settings


def _duration(seconds: int) -> str:
    """`seconds` in words for a mail ("24 hours", "30 minutes", "1 hour")."""
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class AccountMail:
    """Renders the account mails for one deployment (its APP_URL and link lifetimes)."""

    def __init__(self, settings: Settings) -> None:
        self._base = settings.app_base_url
        self._verify_for = _duration(settings.verification_link_seconds)
        self._reset_for = _duration(settings.reset_link_seconds)

    def verify_email(self, to: str, token: str) -> Message:
        link = f"{self._base}/verify-email#token={token}"
        return render("verify_email", to=to, link=link, valid_for=self._verify_for)

    def reset_password(self, to: str, token: str) -> Message:
        link = f"{self._base}/reset-password#token={token}"
        return render("reset_password", to=to, link=link, valid_for=self._reset_for)

    def account_exists(self, to: str) -> Message:
        return render("account_exists", to=to, link=self._forgot_page)

    def password_changed(self, to: str) -> Message:
        return render("password_changed", to=to, link=self._forgot_page)

    @property
    def _forgot_page(self) -> str:
        return f"{self._base}/forgot-password"
