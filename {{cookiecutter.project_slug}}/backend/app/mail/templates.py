"""The account mails, rendered from the files in `templates/` that ship with the package.

Each mail is two files: `<name>.txt` (a `Subject:` line, a blank line, then the plain-text
body) and `<name>.html`. They use `string.Template` placeholders (`${link}`), which no bake
tool touches; `${project_name}` is always available. In the HTML part every value is
HTML-escaped, the project's name included, so an address or a name can never become markup.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from urllib.parse import urlsplit

from app.mail.message import Message
from app.project import PROJECT_NAME

# The values each mail needs besides the recipient. `link` is a full https (in development also
# http) URL; `valid_for` says in words how long the link works, e.g. "24 hours".
TEMPLATE_VALUES: dict[str, frozenset[str]] = {
    "verify_email": frozenset({"link", "valid_for"}),
    "reset_password": frozenset({"link", "valid_for"}),
    "account_exists": frozenset({"link"}),
    "password_changed": frozenset({"link"}),
}
SUBJECT_PREFIX = "Subject: "


class TemplateValuesError(ValueError):
    """`render` was called with an unknown template or the wrong values; the text says which."""


@dataclass(frozen=True)
class _Parts:
    subject: Template
    text: Template
    html: Template


def _read(name: str, suffix: str) -> str:
    source = resources.files("app.mail").joinpath("templates", f"{name}.{suffix}")
    return source.read_text(encoding="utf-8")


@cache
def _parts(name: str) -> _Parts:
    subject_line, blank, text = _read(name, "txt").partition("\n\n")
    if not subject_line.startswith(SUBJECT_PREFIX) or not blank:
        raise TemplateValuesError(
            f"templates/{name}.txt must start with 'Subject: ...' and a blank line"
        )
    return _Parts(
        subject=Template(subject_line.removeprefix(SUBJECT_PREFIX).strip()),
        text=Template(text),
        html=Template(_read(name, "html")),
    )


def _check_values(template_name: str, values: dict[str, str]) -> None:
    if template_name not in TEMPLATE_VALUES:
        known = ", ".join(sorted(TEMPLATE_VALUES))
        raise TemplateValuesError(
            f"there is no mail template {template_name!r}; use one of {known}"
        )
    wanted = TEMPLATE_VALUES[template_name]
    missing, unexpected = wanted - values.keys(), values.keys() - wanted
    if missing or unexpected:
        raise TemplateValuesError(
            f"{template_name} takes exactly {', '.join(sorted(wanted))}; "
            f"missing: {', '.join(sorted(missing)) or 'none'}, "
            f"unexpected: {', '.join(sorted(unexpected)) or 'none'}"
        )
    link = values.get("link")
    if link is not None:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TemplateValuesError(f"{template_name}: link must be an http(s) URL with a host")


def render(template_name: str, *, to: str, **values: str) -> Message:
    """The mail `template_name` for `to`, with `values` filled into both parts.

    Raises TemplateValuesError for an unknown template or missing, extra or unusable values,
    and InvalidMessage for an unusable recipient, before anything is queued.
    """
    _check_values(template_name, values)
    parts = _parts(template_name)
    plain = {**values, "project_name": PROJECT_NAME}
    escaped = {key: html.escape(value, quote=True) for key, value in plain.items()}
    return Message(
        to=to,
        subject=parts.subject.substitute(plain),
        text=parts.text.substitute(plain),
        html=parts.html.substitute(escaped),
        purpose=template_name,
    )
