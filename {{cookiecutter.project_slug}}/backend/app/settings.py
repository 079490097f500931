"""The backend's configuration: read once from `backend/.env` (or the file `BACKEND_ENV_FILE`
names, such as `backend/.env.production`), validated before anything starts."""

from __future__ import annotations

import difflib
import os
import re
import time
from datetime import UTC, datetime
from email.utils import getaddresses
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.mail.message import address_problem
from app.mail.smtp_url import SmtpUrl, SmtpUrlError, parse_smtp_url
from app.secret_policy import secret_problem

BACKEND_DIR = Path(__file__).resolve().parent.parent
ENV_FILE = BACKEND_DIR / ".env"
# OWASP's minimum argon2id profile (19 MiB, 2 passes): production refuses anything weaker.
PRODUCTION_MIN_ARGON2_MEMORY_KIB = 19456
PRODUCTION_MIN_ARGON2_TIME_COST = 2
# The databases the migrations and the atomic statements are written and tested for, each with
# the one driver the project installs, named in full: SQLAlchemy's default PostgreSQL driver
# differs between its versions.
SUPPORTED_DATABASES = {
    "sqlite": ("sqlite", "sqlite+pysqlite"),
    "postgresql": ("postgresql+psycopg",),
}

# --- Hardening: keys of backend/.env that scripts read, the rotation window's format ---
# The only keys backend/.env may hold besides the settings below: `scripts/` reads them (the
# backend does not), and any other unknown key is refused as a likely misspelling.
SCRIPT_KEYS = frozenset({"BACKEND_PORT"})
UNTIL_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_UNTIL_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
# A rotation needs one access-token lifetime (60 min at most); an end further away than this
# keeps a retired secret alive for no reason, which is what the end is there to prevent.
MAX_PREVIOUS_SECRET_HOURS = 24


class SettingsError(Exception):
    """The configuration cannot be used; the message has one line per problem, each with its fix."""


def origin_problem(origin: str) -> str | None:
    """Why `origin` is not an exact browser origin (scheme://host[:port]); None when it is."""
    if origin == "*":
        return "is '*', which cannot be combined with credentials; list exact origins"
    try:
        parts = urlsplit(origin)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        return "is not a URL like http://localhost:3000"
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        return "is not an origin like http://localhost:3000 (http or https, a host, a port)"
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return "has a path, query or trailing slash; an origin is only scheme://host[:port]"
    if origin != origin.lower():
        return "has upper-case letters; browsers send origins in lower case"
    return None


def database_url_problem(url: str) -> str | None:
    """Why `url` is not a usable DATABASE_URL, without repeating it (it may hold a password)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "is not a SQLAlchemy URL like sqlite:///./app.db or postgresql+psycopg://..."
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_DATABASES:
        return f"names the {backend!r} database; use sqlite:/// or postgresql+psycopg://"
    schemes = SUPPORTED_DATABASES[backend]
    if parsed.drivername not in schemes:
        return f"starts with {parsed.drivername}://; use {schemes[0]}://, the installed driver"
    return None


# --- Mail settings' constants and checks -----------------------------------------------------
# Unset, mail goes to a catcher on this machine: nothing leaves it until SMTP_URL is set.
DEFAULT_SMTP_URL = "smtp://127.0.0.1:1025"


def app_url_problem(url: str) -> str | None:
    """Why `url` cannot prefix the links in mail; None when it can."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        return "is not a URL like https://app.example.org"
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        return "is not a URL like https://app.example.org (http or https, a host, a port)"
    if parts.query or parts.fragment or parts.username or parts.password:
        return "has a query, fragment or user; write only scheme://host[:port][/path]"
    if url.endswith("/"):
        return "ends with '/'; write it without the trailing slash"
    return None


class _DotEnvWithUnknownKeys(PydanticBaseSettingsSource):
    """`backend/.env` as pydantic-settings reads it, plus every key nothing reads, even an empty
    one (pydantic-settings drops those), so that `extra="forbid"` names a misspelt key instead of
    the backend quietly running on a default."""

    def __init__(self, inner: PydanticBaseSettingsSource) -> None:
        super().__init__(inner.settings_cls)
        self._inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        data = {
            key: value for key, value in self._inner().items() if key.upper() not in SCRIPT_KEYS
        }
        if isinstance(self._inner, DotEnvSettingsSource):
            fields = self.settings_cls.model_fields
            for key, value in self._inner.env_vars.items():
                if key.lower() not in fields and key.upper() not in SCRIPT_KEYS:
                    data.setdefault(key, value or "")
        return data


class Settings(BaseSettings):
    """Every setting the backend reads. Field names are the `.env` keys, case-insensitively."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_file_encoding="utf-8", extra="forbid", frozen=True
    )

    environment: Literal["development", "production"] = "development"
    better_auth_secret: SecretStr = SecretStr("")
    better_auth_secret_previous: SecretStr | None = None
    jwt_issuer: str = Field(min_length=1, max_length=200, pattern=r"^\S+$")
    jwt_audience: str = Field(min_length=1, max_length=200, pattern=r"^\S+$")
    access_token_minutes: int = Field(default=15, ge=5, le=60)
    # Tests only (the browser suite watches a token expire): replaces ACCESS_TOKEN_MINUTES with a
    # few seconds. ENVIRONMENT=production refuses it.
    access_token_test_seconds: int | None = Field(default=None, ge=1, le=299)
    refresh_token_days: int = Field(default=14, ge=1, le=30)
    jwt_leeway_seconds: int = Field(default=10, ge=0, le=30)
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ("http://localhost:3000",)
    allow_registration: bool = True
    database_url: str = "sqlite:///./app.db"
    database_pool_size: int = Field(default=5, ge=1, le=100)
    database_max_overflow: int = Field(default=10, ge=0, le=100)
    database_pool_timeout_seconds: int = Field(default=30, ge=1, le=600)
    # Database access: how long a transaction waits for a lock another one holds (SQLite's write
    # lock, a PostgreSQL row lock) before its request answers 503 with Retry-After.
    database_busy_timeout_seconds: float = Field(default=10, gt=0, le=600)
    login_max_attempts_per_account: int = Field(default=5, ge=1, le=1000)
    login_max_attempts_per_client: int = Field(default=50, ge=1, le=100000)
    login_window_seconds: int = Field(default=900, ge=1, le=86400)
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=8, le=4 * 1024 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1, le=64)

    # --- Hardening: end of a rotation, device budget, test headroom, absolute session age ---
    better_auth_secret_previous_until: datetime | None = None
    login_max_attempts_per_device: int = Field(default=10, ge=1, le=1000)
    # Tests and local end-to-end runs send everything from 127.0.0.1: this multiplies every
    # action's per-client limit so they are not throttled as one client.
    throttle_client_limit_multiplier: int = Field(default=1, ge=1, le=10000)
    session_max_days: int = Field(default=30, ge=1, le=365)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual sources, with backend/.env's unknown keys kept for `extra="forbid"`."""
        dotenv = _DotEnvWithUnknownKeys(dotenv_settings)
        return init_settings, env_settings, dotenv, file_secret_settings

    @field_validator("better_auth_secret")
    @classmethod
    def _secret_is_usable(cls, value: SecretStr) -> SecretStr:
        problem = secret_problem("BETTER_AUTH_SECRET", value.get_secret_value())
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("better_auth_secret_previous")
    @classmethod
    def _previous_is_usable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        problem = secret_problem("BETTER_AUTH_SECRET_PREVIOUS", value.get_secret_value())
        if problem:
            raise ValueError(f"{problem} Or leave it empty when no rotation is under way.")
        return value

    @field_validator("better_auth_secret_previous_until", mode="before")
    @classmethod
    def _until_is_utc(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, datetime) and value.utcoffset() is not None:
            return value
        if isinstance(value, str) and _UNTIL_SHAPE.fullmatch(value):
            try:
                return datetime.strptime(value, UNTIL_FORMAT).replace(tzinfo=UTC)
            except ValueError:
                pass
        raise ValueError(
            f"BETTER_AUTH_SECRET_PREVIOUS_UNTIL is {str(value)[:40]!r}; write the instant in UTC "
            "as 2026-12-01T12:00:00Z ('make rotate-secret' writes it)"
        )

    @field_validator("database_url")
    @classmethod
    def _database_is_supported(cls, value: str) -> str:
        problem = database_url_problem(value)
        if problem:
            raise ValueError(f"DATABASE_URL {problem}")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_exact(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            problem = origin_problem(origin)
            if problem:
                raise ValueError(f"CORS_ORIGINS entry {origin!r} {problem}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        previous = self.better_auth_secret_previous
        current = self.better_auth_secret.get_secret_value()
        if previous is not None and previous.get_secret_value() == current:
            raise ValueError(
                "BETTER_AUTH_SECRET_PREVIOUS equals BETTER_AUTH_SECRET; empty it, or run "
                "'make rotate-secret' to rotate properly"
            )
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            raise ValueError("ARGON2_MEMORY_KIB must be at least 8 x ARGON2_PARALLELISM")
        self._check_rotation_window()
        if self.session_max_days < self.refresh_token_days:
            raise ValueError(
                f"SESSION_MAX_DAYS ({self.session_max_days}) is shorter than REFRESH_TOKEN_DAYS "
                f"({self.refresh_token_days}), so no refresh token could live its lifetime; raise "
                "SESSION_MAX_DAYS or lower REFRESH_TOKEN_DAYS"
            )
        if self.is_production:
            self._check_production()
        return self

    def _check_rotation_window(self) -> None:
        until = self.better_auth_secret_previous_until
        if self.better_auth_secret_previous is not None and until is None:
            raise ValueError(
                "BETTER_AUTH_SECRET_PREVIOUS is set without BETTER_AUTH_SECRET_PREVIOUS_UNTIL, "
                "so the old secret would be accepted forever; set the end as "
                "2026-12-01T12:00:00Z ('make rotate-secret' writes both), or empty "
                "BETTER_AUTH_SECRET_PREVIOUS"
            )
        if until is not None and until.timestamp() > time.time() + MAX_PREVIOUS_SECRET_HOURS * 3600:
            raise ValueError(
                f"BETTER_AUTH_SECRET_PREVIOUS_UNTIL is more than {MAX_PREVIOUS_SECRET_HOURS} h "
                "from now; a rotation needs one access-token lifetime, so set it to the rotation "
                "time plus ACCESS_TOKEN_MINUTES ('make rotate-secret' does)"
            )

    def _check_production(self) -> None:
        if self.access_token_test_seconds is not None:
            raise ValueError(
                "ACCESS_TOKEN_TEST_SECONDS is for tests only and ENVIRONMENT=production refuses "
                "it; remove it and set ACCESS_TOKEN_MINUTES"
            )
        insecure = [origin for origin in self.cors_origins if not origin.startswith("https://")]
        if insecure:
            raise ValueError(
                f"CORS_ORIGINS has {', '.join(insecure)}; ENVIRONMENT=production allows https "
                "origins only"
            )
        if (
            self.argon2_memory_kib < PRODUCTION_MIN_ARGON2_MEMORY_KIB
            or self.argon2_time_cost < PRODUCTION_MIN_ARGON2_TIME_COST
        ):
            raise ValueError(
                "ARGON2_MEMORY_KIB/ARGON2_TIME_COST are below OWASP's minimum "
                f"({PRODUCTION_MIN_ARGON2_MEMORY_KIB} KiB, {PRODUCTION_MIN_ARGON2_TIME_COST} "
                "passes); ENVIRONMENT=production refuses them"
            )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def cookie_secure(self) -> bool:
        """Secure cookies everywhere but local development, where the API runs on plain http."""
        return self.is_production

    @property
    def docs_enabled(self) -> bool:
        """Interactive API docs map the attack surface; production does not publish them."""
        return not self.is_production

    @property
    def access_token_seconds(self) -> int:
        if self.access_token_test_seconds is not None:
            return self.access_token_test_seconds
        return self.access_token_minutes * 60

    @property
    def refresh_token_seconds(self) -> int:
        return self.refresh_token_days * 86400

    @property
    def cookie_prefix(self) -> str:
        """`__Secure-` in production: browsers then accept the cookie only from https with Secure,
        so a plain-http page on a sibling host cannot plant one. (`__Host-` would force Path=/.)"""
        return "__Secure-" if self.is_production else ""

    @property
    def session_max_seconds(self) -> int:
        return self.session_max_days * 86400

    @property
    def previous_secret_until(self) -> float | None:
        """The epoch second after which tokens signed with the previous secret are refused."""
        until = self.better_auth_secret_previous_until
        return (
            None if until is None or self.better_auth_secret_previous is None else until.timestamp()
        )

    @property
    def verification_secrets(self) -> tuple[str, ...]:
        """Secrets that may have signed a live token: the current one first, then the previous."""
        previous = self.better_auth_secret_previous
        current = self.better_auth_secret.get_secret_value()
        return (current,) if previous is None else (current, previous.get_secret_value())

    # --- Mail: where links point, the SMTP server, the outbox worker's retries ------------------
    # APP_URL empty means the first CORS origin (the frontend). SMTP_URL may hold a password.
    app_url: str | None = None
    smtp_url: SecretStr = SecretStr(DEFAULT_SMTP_URL)
    mail_from: str = "no-reply@localhost"
    smtp_timeout_seconds: int = Field(default=10, ge=1, le=60)
    mail_retry_max_seconds: int = Field(default=30, ge=1, le=30)
    mail_give_up_hours: int = Field(default=24, ge=1, le=168)
    mail_poll_seconds: int = Field(default=5, ge=1, le=60)

    @field_validator("app_url")
    @classmethod
    def _app_url_is_usable(cls, value: str | None) -> str | None:
        if not value:
            return None
        problem = app_url_problem(value)
        if problem:
            raise ValueError(f"APP_URL {problem}")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_is_usable(cls, value: SecretStr) -> SecretStr:
        try:
            parse_smtp_url(value.get_secret_value())
        except SmtpUrlError as error:
            raise ValueError(f"SMTP_URL {error}") from None
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from_is_usable(cls, value: str) -> str:
        found = getaddresses([value])
        address = found[0][1] if len(found) == 1 else ""
        problem = address_problem(address) if address else "is not one address"
        if problem or "\n" in value or "\r" in value:
            raise ValueError(
                f"MAIL_FROM {problem or 'must be one line'}; write no-reply@your-domain or "
                "'Name <no-reply@your-domain>'"
            )
        return value

    @model_validator(mode="after")
    def _mail_is_deliverable(self) -> Settings:
        if self.app_url is None and not self.cors_origins:
            raise ValueError("APP_URL is empty and CORS_ORIGINS lists no origin; set APP_URL")
        if not self.is_production:
            return self
        if not self.app_base_url.startswith("https://"):
            raise ValueError(
                "APP_URL (or the first CORS origin) is http; ENVIRONMENT=production mails https "
                "links only"
            )
        smtp = self.smtp
        if smtp.security == "plain" and not smtp.is_loopback:
            raise ValueError(
                f"SMTP_URL sends mail to {smtp.host} in clear (smtp://); ENVIRONMENT=production "
                "allows that to this machine only: use smtp+starttls:// or smtps://"
            )
        return self

    @property
    def app_base_url(self) -> str:
        """Where links in mail point: APP_URL, else the first CORS origin (the frontend)."""
        return self.app_url or self.cors_origins[0]

    @property
    def smtp(self) -> SmtpUrl:
        """SMTP_URL's parts (already validated); the password is in here, keep it out of logs."""
        return parse_smtp_url(self.smtp_url.get_secret_value())

    # --- Account lifecycle: email verification and the lifetimes of one-time links -------------
    # `required`: registration mails a link and unverified accounts cannot sign in; `off`: no
    # verification step (registration answers 201 and the account can sign in at once).
    email_verification: Literal["required", "off"] = "required"
    verification_link_hours: int = Field(default=24, ge=1, le=168)
    reset_link_minutes: int = Field(default=30, ge=5, le=1440)

    @property
    def verification_required(self) -> bool:
        return self.email_verification == "required"

    @property
    def verification_link_seconds(self) -> int:
        return self.verification_link_hours * 3600

    @property
    def reset_link_seconds(self) -> int:
        return self.reset_link_minutes * 60


def known_keys() -> list[str]:
    """Every key backend/.env may hold: the settings, then the keys only scripts read."""
    return [name.upper() for name in Settings.model_fields] + sorted(SCRIPT_KEYS)


# --- Production: which env file the backend reads -------------------------------------------
# `make prod` and production servers read a file of their own (`make env` writes
# backend/.env.production, with a secret of its own); every command honours the variable, so
# `make user`, `make migrate` and the doctor work on the same file as the servers.
ENV_FILE_VARIABLE = "BACKEND_ENV_FILE"


def chosen_env_file() -> Path:
    """The env file to read: the one $BACKEND_ENV_FILE names (relative to the current
    directory), else backend/.env."""
    given = os.environ.get(ENV_FILE_VARIABLE, "").strip()
    return Path(given).expanduser().resolve() if given else ENV_FILE


def env_file_label(path: Path) -> str:
    """How messages name an env file: relative to the project when it lies inside it."""
    try:
        return str(Path(path).resolve().relative_to(BACKEND_DIR.parent))
    except ValueError:
        return str(path)


def _unknown_key(key: str, where: str) -> str:
    close = difflib.get_close_matches(key, known_keys(), n=1, cutoff=0.6)
    fix = f"did you mean {close[0]}?" if close else "backend/.env.example lists every setting."
    return f"{key} is not a setting this backend reads; {fix} Rename or remove it in {where}"


def _describe(error: Any, where: str) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    field = ".".join(str(part) for part in error["loc"]).upper()
    if error["type"] == "extra_forbidden":
        return _unknown_key(field, where)
    if not field or message.startswith(field):
        return message
    return f"{field}: {message}; fix it in {where}"


def load_settings(settings_class: type[Settings] = Settings, /, **overrides: Any) -> Settings:
    """Settings from the environment and the env file (`_env_file`, else $BACKEND_ENV_FILE, else
    `backend/.env`); SettingsError lists every problem, naming the file to fix. A subclass of
    Settings may choose other sources (the schema export reads its env file alone)."""
    if "_env_file" not in overrides:
        overrides["_env_file"] = chosen_env_file()
        if os.environ.get(ENV_FILE_VARIABLE, "").strip() and not overrides["_env_file"].is_file():
            raise SettingsError(
                f"{ENV_FILE_VARIABLE} names {overrides['_env_file']}, which is not a file; "
                "run 'make env' to create backend/.env.production, or fix the path"
            )
    env_file = overrides["_env_file"]
    where = env_file_label(env_file) if env_file is not None else "backend/.env"
    try:
        return settings_class(**overrides)
    except ValidationError as error:
        lines = [_describe(item, where) for item in error.errors(include_url=False)]
        raise SettingsError("\n".join(lines)) from None
