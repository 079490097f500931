"""The backend's configuration: read once from `backend/.env`, validated before anything starts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

BACKEND_DIR = Path(__file__).resolve().parent.parent
ENV_FILE = BACKEND_DIR / ".env"
MIN_SECRET_BYTES = 32
PLACEHOLDER_MARKERS = ("replace-me", "change-me", "changeme", "placeholder", "example")
MAKE_ENV_HINT = "Run 'make env' to generate one."
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


class SettingsError(Exception):
    """The configuration cannot be used; the message has one line per problem, each with its fix."""


def secret_problem(name: str, value: str) -> str | None:
    """Why `value` cannot sign tokens, as a sentence naming `name` and the fix; None if it can."""
    if not value:
        return f"{name} is missing. {MAKE_ENV_HINT}"
    lowered = value.lower()
    if any(marker in lowered for marker in PLACEHOLDER_MARKERS):
        return f"{name} is a placeholder from .env.example. {MAKE_ENV_HINT}"
    size = len(value.encode())
    if size < MIN_SECRET_BYTES:
        return f"{name} is {size} bytes; it must be at least {MIN_SECRET_BYTES}. {MAKE_ENV_HINT}"
    return None


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


class Settings(BaseSettings):
    """Every setting the backend reads. Field names are the `.env` keys, case-insensitively."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore", frozen=True
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
        if self.is_production:
            self._check_production()
        return self

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
    def verification_secrets(self) -> tuple[str, ...]:
        """Secrets that may have signed a live token: the current one first, then the previous."""
        previous = self.better_auth_secret_previous
        current = self.better_auth_secret.get_secret_value()
        return (current,) if previous is None else (current, previous.get_secret_value())


def _describe(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    field = ".".join(str(part) for part in error["loc"]).upper()
    if not field or message.startswith(field):
        return message
    return f"{field}: {message}; fix it in backend/.env"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and `backend/.env`; SettingsError lists every problem."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        lines = [_describe(item) for item in error.errors(include_url=False)]
        raise SettingsError("\n".join(lines)) from None
