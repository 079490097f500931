"""Startup refusals: the backend will not run with a secret that is not random material, a
previous secret without an end, loose CORS origins, out-of-range lifetimes, unknown keys in
backend/.env, or production settings that are not production-grade."""

from __future__ import annotations

import base64
import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.secret_policy import secret_problem
from app.settings import ENV_FILE_VARIABLE, SettingsError, chosen_env_file, load_settings

from .conftest import EXAMPLE_ENV, FAST_ARGON2, run_backend

BACKEND_DIR = Path(__file__).resolve().parent.parent


def problems(**overrides: Any) -> str:
    values: dict[str, Any] = {
        "better_auth_secret": secrets.token_urlsafe(48),
        "_env_file": EXAMPLE_ENV,
        **FAST_ARGON2,
    }
    values.update(overrides)
    with pytest.raises(SettingsError) as caught:
        load_settings(**values)
    return str(caught.value)


def test_baked_example_with_a_real_secret_is_valid() -> None:
    settings = load_settings(_env_file=EXAMPLE_ENV, better_auth_secret=secrets.token_urlsafe(48))
    assert settings.environment == "development"
    assert settings.cors_origins
    assert settings.verification_secrets == (settings.better_auth_secret.get_secret_value(),)


def test_example_file_alone_is_refused_as_a_placeholder() -> None:
    assert "BETTER_AUTH_SECRET is a placeholder from .env.example. Run 'make env'" in problems(
        better_auth_secret="replace-me-run-make-env"
    )


def test_missing_secret_is_refused() -> None:
    assert "BETTER_AUTH_SECRET is missing. Run 'make env' to generate one." in problems(
        better_auth_secret=""
    )


def test_short_secret_is_refused_with_its_size() -> None:
    message = problems(better_auth_secret="a" * 22)
    assert message == (
        "BETTER_AUTH_SECRET is 22 bytes; it must be at least 32. Run 'make env' to generate one."
    )


@pytest.mark.parametrize(
    "marker", ["replace-me", "CHANGE-ME", "changeme", "placeholder", "example"]
)
def test_placeholder_markers_are_refused(marker: str) -> None:
    assert "placeholder" in problems(better_auth_secret=marker + secrets.token_urlsafe(40))


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        pytest.param("a" * 32, "32 hex characters, about 128 bits", id="a-x32"),
        pytest.param("a" * 48, "48 hex characters, about 192 bits", id="a-x48"),
        pytest.param("a" * 64, "repeats itself", id="a-x64"),
        pytest.param("correcthorse" * 4, "repeats itself", id="repeated-words"),
        pytest.param("hunter2-" * 6, "repeats itself", id="repeated"),
        pytest.param("1234567890" * 4, "40 decimal characters", id="digits"),
        pytest.param("9" * 90, "repeats itself", id="long-digits"),
        pytest.param(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            "mostly a sequence",
            id="alphabet",
        ),
        pytest.param(
            # pragma: allowlist nextline secret
            "qwertyuiopasdfghjklzxcvbnmQWERTYUIOPASDFGHJKLZXCVBNM",
            "mostly a sequence",
            id="keyboard",
        ),
        pytest.param("replace-me-" + secrets.token_urlsafe(40), "placeholder", id="placeholder"),
    ],
)
@pytest.mark.parametrize("environment", ["development", "production"])
def test_secrets_that_are_not_random_material_are_refused(
    secret: str, expected: str, environment: str
) -> None:
    message = problems(
        better_auth_secret=secret,
        environment=environment,
        cors_origins="https://app.example.org",
        argon2_time_cost=2,
        argon2_memory_kib=19456,
    )
    assert message.startswith("BETTER_AUTH_SECRET ")
    assert expected in message
    assert message.endswith("Run 'make env' to generate one.")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: secrets.token_urlsafe(32), id="token_urlsafe-32"),
        pytest.param(lambda: secrets.token_urlsafe(64), id="token_urlsafe-64"),
        pytest.param(lambda: secrets.token_hex(32), id="openssl-rand-hex-32"),
        pytest.param(
            lambda: base64.b64encode(secrets.token_bytes(32)).decode(), id="openssl-rand-base64-32"
        ),
    ],
)
def test_random_secrets_are_accepted(make: Any) -> None:
    # The rule itself over many samples (a false refusal of a random secret must be rare enough
    # to never meet a user); the whole settings load over a few, for the path a server takes.
    samples = [make() for _ in range(2000)]
    assert [value for value in samples if secret_problem("BETTER_AUTH_SECRET", value)] == []
    for _ in range(5):
        load_settings(_env_file=EXAMPLE_ENV, better_auth_secret=make(), **FAST_ARGON2)


def test_previous_secret_is_checked_like_the_current_one() -> None:
    assert "BETTER_AUTH_SECRET_PREVIOUS is 5 bytes" in problems(better_auth_secret_previous="short")
    same = secrets.token_urlsafe(48)
    assert "equals BETTER_AUTH_SECRET" in problems(
        better_auth_secret=same, better_auth_secret_previous=same
    )


def utc(seconds_from_now: float) -> str:
    return datetime.fromtimestamp(time.time() + seconds_from_now, tz=UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_a_previous_secret_needs_an_end() -> None:
    previous = secrets.token_urlsafe(48)
    assert "without BETTER_AUTH_SECRET_PREVIOUS_UNTIL" in problems(
        better_auth_secret_previous=previous
    )
    settings = load_settings(
        _env_file=EXAMPLE_ENV,
        better_auth_secret=secrets.token_urlsafe(48),
        better_auth_secret_previous=previous,
        better_auth_secret_previous_until=utc(900),
    )
    assert settings.previous_secret_until is not None
    assert abs(settings.previous_secret_until - (time.time() + 900)) < 5


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01 12:00:00",
        "2026-12-01T12:00:00+01:00",
        "2026-12-01T12:00:00",
        "2026-13-01T12:00:00Z",
        "tomorrow",
        "1764590400",
    ],
)
def test_the_end_must_be_an_utc_instant_like_the_example(value: str) -> None:
    message = problems(
        better_auth_secret_previous=secrets.token_urlsafe(48),
        better_auth_secret_previous_until=value,
    )
    assert "BETTER_AUTH_SECRET_PREVIOUS_UNTIL" in message
    assert "2026-12-01T12:00:00Z" in message


def test_an_end_more_than_a_day_away_is_refused() -> None:
    message = problems(
        better_auth_secret_previous=secrets.token_urlsafe(48),
        better_auth_secret_previous_until=utc(3 * 86400),
    )
    assert "more than 24 h from now" in message


def test_session_age_must_cover_a_refresh_token() -> None:
    message = problems(refresh_token_days=14, session_max_days=7)
    assert "SESSION_MAX_DAYS (7) is shorter than REFRESH_TOKEN_DAYS (14)" in message


def env_file(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "backend.env"
    secret = secrets.token_urlsafe(48)
    path.write_text(EXAMPLE_ENV.read_text().replace("replace-me-run-make-env", secret) + extra)
    return path


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "ENVIROMENT=production",
            "ENVIROMENT is not a setting this backend reads; did you mean ENVIRONMENT?",
        ),
        ("BACKEND_PROT=8000", "did you mean BACKEND_PORT?"),
        ("LOGIN_MAX_ATTEMPTS_PER_ACOUNT=3", "did you mean LOGIN_MAX_ATTEMPTS_PER_ACCOUNT?"),
        ("ACCESS_TOKEN_MINUTE=", "did you mean ACCESS_TOKEN_MINUTES?"),
        ("COMPLETELY_UNRELATED=1", "backend/.env.example lists every setting"),
    ],
)
def test_unknown_keys_in_the_env_file_are_refused_naming_the_closest(
    tmp_path: Path, line: str, expected: str
) -> None:
    path = env_file(tmp_path, f"\n{line}\n")
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=path)
    assert expected in str(refused.value)
    assert f"Rename or remove it in {path}" in str(refused.value)


def test_keys_the_scripts_read_are_allowed(tmp_path: Path) -> None:
    settings = load_settings(_env_file=env_file(tmp_path, "\nBACKEND_PORT=8123\n"))
    assert settings.environment == "development"


def test_empty_previous_secret_means_no_rotation() -> None:
    settings = load_settings(
        _env_file=EXAMPLE_ENV,
        better_auth_secret=secrets.token_urlsafe(48),
        better_auth_secret_previous="",
    )
    assert settings.better_auth_secret_previous is None


@pytest.mark.parametrize(
    ("origins", "expected"),
    [
        ("*", "'*'"),
        ("http://localhost:3000/", "trailing slash"),
        ("http://localhost:3000/app", "path"),
        ("http://localhost:3000?x=1", "path, query"),
        ("localhost:3000", "not an origin"),
        ("ftp://files.example.org", "not an origin"),
        ("http://localhost:0", "not an origin"),
        ("http://localhost:99999", "not a URL"),
        ("http://LOCALHOST:3000", "lower case"),
        ("http://[::1", "not a URL"),
        ("http://localhost:3000, *", "'*'"),
    ],
)
def test_loose_cors_origins_are_refused(origins: str, expected: str) -> None:
    message = problems(cors_origins=origins)
    assert "CORS_ORIGINS" in message
    assert expected in message


def test_several_origins_are_accepted() -> None:
    settings = load_settings(
        _env_file=EXAMPLE_ENV,
        better_auth_secret=secrets.token_urlsafe(48),
        cors_origins="http://localhost:3000, https://app.example.org",
    )
    assert settings.cors_origins == ("http://localhost:3000", "https://app.example.org")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("access_token_minutes", 0),
        ("access_token_minutes", 61),
        ("refresh_token_days", 31),
        ("jwt_leeway_seconds", 31),
        ("jwt_issuer", "has space"),
    ],
)
def test_out_of_range_values_name_the_key_and_the_file(field: str, value: Any) -> None:
    message = problems(**{field: value})
    assert message.startswith(field.upper())
    assert "backend/.env" in message


def test_every_problem_is_reported_at_once() -> None:
    message = problems(better_auth_secret="short", cors_origins="*", refresh_token_days=99)
    assert len(message.splitlines()) == 3


def test_production_demands_https_origins() -> None:
    message = problems(environment="production", cors_origins="http://app.example.org")
    assert "https origins only" in message


def test_production_refuses_a_weak_argon2_profile() -> None:
    message = problems(environment="production", cors_origins="https://app.example.org")
    assert "OWASP" in message


def test_test_lifetime_in_seconds_replaces_the_minutes_outside_production() -> None:
    settings = load_settings(
        _env_file=EXAMPLE_ENV, better_auth_secret=secrets.token_urlsafe(48), **FAST_ARGON2
    )
    assert settings.access_token_seconds == settings.access_token_minutes * 60
    short = load_settings(
        _env_file=EXAMPLE_ENV,
        better_auth_secret=secrets.token_urlsafe(48),
        access_token_test_seconds=4,
        **FAST_ARGON2,
    )
    assert short.access_token_seconds == 4


@pytest.mark.parametrize("seconds", [0, 300])
def test_test_lifetime_out_of_range_is_refused(seconds: int) -> None:
    assert "ACCESS_TOKEN_TEST_SECONDS" in problems(access_token_test_seconds=seconds)


def test_production_refuses_a_test_lifetime() -> None:
    message = problems(
        environment="production",
        cors_origins="https://app.example.org",
        access_token_test_seconds=4,
        argon2_time_cost=3,
        argon2_memory_kib=65536,
    )
    assert "ACCESS_TOKEN_TEST_SECONDS is for tests only" in message


def test_argon2_memory_must_cover_its_lanes() -> None:
    assert "ARGON2_MEMORY_KIB" in problems(argon2_memory_kib=8, argon2_parallelism=4)


def test_production_turns_on_secure_cookies_and_off_docs() -> None:
    settings = load_settings(
        _env_file=EXAMPLE_ENV,
        better_auth_secret=secrets.token_urlsafe(48),
        environment="production",
        cors_origins="https://app.example.org",
    )
    assert settings.cookie_secure
    assert not settings.docs_enabled


def test_uvicorn_entry_point_refuses_to_start_with_a_clear_message(tmp_path: Path) -> None:
    """`app.main:app` without a usable secret exits 1 with the fix, and no traceback."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("BETTER_AUTH")
    }
    environment["BETTER_AUTH_SECRET"] = "too-short-secret"
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'refused.db'}"
    result = run_backend(["-c", "import app.main; app.main.app"], environment)
    assert result.returncode == 1
    assert "BETTER_AUTH_SECRET is 16 bytes; it must be at least 32." in result.stderr
    assert "Traceback" not in result.stderr


def test_main_module_has_no_other_lazy_attributes() -> None:
    import app.main

    with pytest.raises(AttributeError):
        _ = app.main.something_else


# --- Production: the env file BACKEND_ENV_FILE names ----------------------------------------


def test_the_file_backend_env_file_names_is_read_and_named_in_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = env_file(tmp_path, "\nENVIRONMENT=production\nCORS_ORIGINS=https://app.example.org\n")
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(path))
    assert chosen_env_file() == path
    assert load_settings().is_production
    with path.open("a") as extra:
        extra.write("ACCESS_TOKEN_MINUTES=600\n")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert f"ACCESS_TOKEN_MINUTES: Input should be less than or equal to 60; fix it in {path}" in (
        str(refused.value)
    )


def test_unknown_keys_are_refused_in_the_production_file_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = env_file(
        tmp_path, "\nENVIRONMENT=production\nCORS_ORIGINS=https://a.example\nAPP_URLS=\n"
    )
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(path))
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value) == (
        "APP_URLS is not a setting this backend reads; did you mean APP_URL? "
        f"Rename or remove it in {path}"
    )


def test_a_missing_file_named_by_backend_env_file_is_refused_not_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pydantic-settings skips a missing env file: a server must not start on the defaults."""
    missing = tmp_path / ".env.production"
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(missing))
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value) == (
        f"BACKEND_ENV_FILE names {missing}, which is not a file; run 'make env' to create "
        "backend/.env.production, or fix the path"
    )


def test_without_the_variable_the_backend_reads_backend_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_FILE_VARIABLE, raising=False)
    assert chosen_env_file() == BACKEND_DIR / ".env"
    monkeypatch.setenv(ENV_FILE_VARIABLE, "  ")
    assert chosen_env_file() == BACKEND_DIR / ".env"
