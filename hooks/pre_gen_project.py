"""Validate every bake answer before any file is written; one line per problem, then exit 1.

Answers arrive as data (a JSON literal rendered once) so no answer is ever spliced into Python
source. Rules live in `problems()`, importable by the template's tests.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
CLAIM = re.compile(r"^[A-Za-z0-9._:/@+-]{1,200}$")
WHOLE_NUMBER = re.compile(r"^[0-9]{1,6}$")
YES_NO = ("yes", "no")
DATABASES = ("sqlite", "postgresql")
EMAIL_VERIFICATION = ("required", "off")
# Spelled in halves so that cookiecutter does not read them as markers in this very file.
TEMPLATE_MARKERS = ("{" + "{", "{" + "%", "{" + "#")


def rendered_answers() -> dict[str, object]:
    """The answers of this bake, as cookiecutter rendered them into this file."""
    return json.loads({{cookiecutter | jsonify | tojson}})  # noqa: F821


def _line_of_text(field: str, value: str, longest: int, required: bool = True) -> list[str]:
    if required and not value.strip():
        return [f"{field}: must not be empty"]
    if len(value) > longest:
        return [f"{field}: {len(value)} characters; at most {longest} are allowed"]
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return [f"{field}: {value!r} contains a control character or line break; use one line"]
    if any(marker in value for marker in TEMPLATE_MARKERS):
        return [f"{field}: {value!r} contains a Jinja template marker; remove the braces"]
    return []


def _integer_in(field: str, value: str, low: int, high: int) -> tuple[int | None, list[str]]:
    allowed = f"a whole number from {low} to {high}"
    if not WHOLE_NUMBER.match(value):
        return None, [f"{field}: {value!r} is not a whole number; use {allowed}"]
    number = int(value)
    if not low <= number <= high:
        return None, [f"{field}: {number} is out of range; use {allowed}"]
    return number, []


def _choice(field: str, value: str, allowed: tuple[str, ...]) -> list[str]:
    if value in allowed:
        return []
    return [f"{field}: {value!r} is not allowed; use one of {', '.join(allowed)}"]


def _slug(value: str) -> list[str]:
    if not SLUG.match(value):
        return [
            f"project_slug: {value!r} is not a valid package name; use a lowercase letter"
            " followed by up to 49 lowercase letters, digits or underscores",
        ]
    if keyword.iskeyword(value):
        return [f"project_slug: {value!r} is a Python keyword; choose another name"]
    return []


def _claim(field: str, value: str) -> list[str]:
    if not value:
        return [f"{field}: must not be empty"]
    if any(char.isspace() for char in value):
        return [f"{field}: {value!r} contains whitespace; none is allowed"]
    if not CLAIM.match(value):
        return [
            f"{field}: {value!r} is not allowed; use up to 200 letters, digits and . _ : / @ + -"
        ]
    return []


def _email(value: str) -> list[str]:
    if len(value) > 254 or not EMAIL.match(value):
        return [f"author_email: {value!r} is not an email address; use the form name@example.com"]
    return []


def problems(answers: dict[str, object]) -> list[str]:
    """Every problem with `answers`, one human sentence each naming the field; empty when valid."""
    text = {key: str(value) for key, value in answers.items()}

    def get(field: str) -> str:
        return text.get(field, "")

    found: list[str] = []
    found += _line_of_text("project_name", get("project_name"), 80)
    found += _slug(get("project_slug"))
    found += _line_of_text("description", get("description"), 200, required=False)
    found += _line_of_text("author_name", get("author_name"), 100)
    found += _email(get("author_email"))
    backend, errors = _integer_in("backend_port", get("backend_port"), 1024, 65535)
    found += errors
    frontend, errors = _integer_in("frontend_port", get("frontend_port"), 1024, 65535)
    found += errors
    if backend is not None and backend == frontend:
        found.append(f"frontend_port: {frontend} is also backend_port; the two must differ")
    found += _integer_in("access_token_minutes", get("access_token_minutes"), 5, 60)[1]
    found += _integer_in("refresh_token_days", get("refresh_token_days"), 1, 30)[1]
    found += _claim("jwt_issuer", get("jwt_issuer"))
    found += _claim("jwt_audience", get("jwt_audience"))
    if get("jwt_issuer") and get("jwt_issuer") == get("jwt_audience"):
        found.append("jwt_audience: must differ from jwt_issuer, so a token cannot pass as both")
    found += _choice("allow_registration", get("allow_registration"), YES_NO)
    found += _choice("email_verification", get("email_verification"), EMAIL_VERIFICATION)
    found += _choice("include_frontend", get("include_frontend"), YES_NO)
    found += _choice("database", get("database"), DATABASES)
    return found


def main() -> int:
    found = problems(rendered_answers())
    for line in found:
        print(f"error: {line}", file=sys.stderr)
    if found:
        print(
            f"secure-stack: {len(found)} invalid answer(s); nothing was generated.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
