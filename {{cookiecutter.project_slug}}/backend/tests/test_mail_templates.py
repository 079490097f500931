"""Mail rendering: every template has both parts, the project's name, escaped values in HTML and
advice for a reader who did not ask for the mail; bad calls are refused before anything queues."""

from __future__ import annotations

import html
import json
from email.message import EmailMessage
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from app.mail import TEMPLATE_VALUES, InvalidMessage, Message, TemplateValuesError, render
from app.mail.message import to_email
from app.project import PROJECT_NAME

# Values full of markup: none of it may reach the HTML part unescaped.
HOSTILE_LINK = "https://app.example.org/verify-email#token=a<b>\"c'd&e"
HOSTILE_VALID_FOR = "24 <i>hours</i>"
# What each mail tells a reader who did not ask for it.
ADVICE = {
    "verify_email": "Did not sign up?",
    "reset_password": "Did not ask?",
    "account_exists": "Was it not you?",
    "password_changed": "Was it not you?",
}


def values_for(name: str) -> dict[str, str]:
    offered = {"link": HOSTILE_LINK, "valid_for": HOSTILE_VALID_FOR}
    return {key: offered[key] for key in TEMPLATE_VALUES[name]}


def test_the_project_name_comes_from_the_baked_answer_and_titles_the_api(
    client: TestClient,
) -> None:
    baked = json.loads(resources.files("app").joinpath("project.json").read_text("utf-8"))
    assert baked["name"] == PROJECT_NAME
    assert PROJECT_NAME
    assert client.get("/openapi.json").json()["info"]["title"] == PROJECT_NAME


def test_every_template_ships_as_a_text_and_an_html_file() -> None:
    shipped = {entry.name for entry in resources.files("app.mail").joinpath("templates").iterdir()}
    expected = {f"{name}.{suffix}" for name in TEMPLATE_VALUES for suffix in ("txt", "html")}
    assert shipped == expected
    assert set(ADVICE) == set(TEMPLATE_VALUES)


@pytest.mark.parametrize("name", sorted(TEMPLATE_VALUES))
def test_each_mail_has_both_parts_the_project_name_and_advice(name: str) -> None:
    message = render(name, to="ada@example.org", **values_for(name))
    assert message.purpose == name
    assert message.to == "ada@example.org"
    assert PROJECT_NAME in message.subject
    assert PROJECT_NAME in message.text
    assert html.escape(PROJECT_NAME, quote=True) in message.html
    assert ADVICE[name] in message.text
    assert ADVICE[name] in message.html
    assert HOSTILE_LINK in message.text
    assert "${" not in message.text + message.html + message.subject  # nothing left unfilled


@pytest.mark.parametrize("name", sorted(TEMPLATE_VALUES))
def test_every_value_is_escaped_in_the_html_part(name: str) -> None:
    message = render(name, to="ada@example.org", **values_for(name))
    assert html.escape(HOSTILE_LINK, quote=True) in message.html
    assert f'href="{html.escape(HOSTILE_LINK, quote=True)}"' in message.html
    for raw in ("a<b>", '"c', "'d"):
        assert raw not in message.html
    if "valid_for" in TEMPLATE_VALUES[name]:
        assert "&lt;i&gt;hours&lt;/i&gt;" in message.html
        assert "<i>" not in message.html


def test_unknown_templates_and_wrong_values_are_refused_with_a_sentence() -> None:
    with pytest.raises(TemplateValuesError, match="no mail template 'welcome'; use one of"):
        render("welcome", to="ada@example.org", link="https://x.org")
    with pytest.raises(TemplateValuesError, match="missing: valid_for, unexpected: none"):
        render("verify_email", to="ada@example.org", link="https://x.org")
    with pytest.raises(TemplateValuesError, match="missing: none, unexpected: token"):
        render("password_changed", to="ada@example.org", link="https://x.org", token="t")


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "data:text/html,hi", "//evil.example/x", "https:///no-host"]
)
def test_a_link_must_be_an_http_url(link: str) -> None:
    with pytest.raises(TemplateValuesError, match="link must be an http"):
        render("account_exists", to="ada@example.org", link=link)


@pytest.mark.parametrize(
    "to",
    [
        "",
        "no-at-sign",
        "ada@example.org, eve@example.org",
        "ada@example.org\r\nBcc: eve@example.org",
        "Ada <ada@example.org>",
        "@example.org",
        "ada@",
    ],
)
def test_a_recipient_must_be_one_plain_address(to: str) -> None:
    with pytest.raises(InvalidMessage, match="the recipient"):
        render("account_exists", to=to, link="https://x.org")


def test_a_subject_cannot_carry_a_header() -> None:
    with pytest.raises(InvalidMessage, match="one line"):
        Message("ada@example.org", "Hi\r\nBcc: eve@example.org", "text", "<p>html</p>")
    with pytest.raises(InvalidMessage, match="both a plain-text and an HTML part"):
        Message("ada@example.org", "Hi", "text", " ")


def test_the_mime_message_has_both_parts_a_named_sender_and_a_stable_id() -> None:
    message = render("password_changed", to="ada@example.org", link="https://x.org/reset")
    email: EmailMessage = to_email(message, mail_from="no-reply@app.org", message_id="abc123")
    assert email["To"] == "ada@example.org"
    assert email["Subject"] == message.subject
    assert email["From"].addresses[0].display_name == PROJECT_NAME
    assert email["From"].addresses[0].addr_spec == "no-reply@app.org"
    assert email["Message-ID"] == "<abc123@app.org>"
    assert email.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in email.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    named = to_email(message, mail_from="Support <help@app.org>", message_id="abc123")
    assert named["From"].addresses[0].display_name == "Support"
