"""The API's OpenAPI schema in canonical form: `python -m app.openapi [--output FILE]`.

`make client` generates the frontend's typed client from it, and a test regenerates that client
to prove the committed one is current, so the same code must give the same bytes on every
machine: keys sorted, fixed indentation, ASCII only, and nothing from where it runs. The app is
built from the committed `backend/.env.example` alone (its ALLOW_REGISTRATION and
EMAIL_VERIFICATION decide which routes exist), with a throwaway secret and a scratch SQLite
database: neither `backend/.env` nor an environment variable is read, so no local port, origin
or secret can reach the schema.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from app.db import DatabaseNotReady
from app.main import create_app
from app.settings import BACKEND_DIR, Settings, SettingsError, load_settings

EXAMPLE_ENV = BACKEND_DIR / ".env.example"


class _FileOnlySettings(Settings):
    """Settings from the arguments and one env file: the environment's variables do not apply."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = super().settings_customise_sources(
            settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        )
        return tuple(s for s in sources if s is not env_settings and s is not file_secret_settings)


class SchemaError(Exception):
    """The schema cannot be exported; the message says what to fix."""


def duplicate_operation_ids(schema: dict[str, Any]) -> list[str]:
    """Operation ids used more than once: each names a function of the generated client, and
    FastAPI only warns about a repeat (the client would silently lose one of the two)."""
    ids = Counter(
        operation["operationId"]
        for methods in schema.get("paths", {}).values()
        for operation in methods.values()
        if isinstance(operation, dict) and "operationId" in operation
    )
    return sorted(name for name, count in ids.items() if count > 1)


def canonical_schema(env_file: Path = EXAMPLE_ENV) -> str:
    """The schema of the app that `env_file` configures, as canonical JSON text."""
    with tempfile.TemporaryDirectory(prefix="openapi-") as scratch:
        # The secret signs nothing here: it only lets the settings validate.
        overrides = {
            "better_auth_secret": secrets.token_urlsafe(32),
            "database_url": f"sqlite:///{Path(scratch, 'schema.db')}",
        }
        try:
            app = create_app(load_settings(_FileOnlySettings, _env_file=env_file, **overrides))
        except (SettingsError, DatabaseNotReady) as error:
            raise SchemaError(f"{env_file} does not configure a usable app:\n{error}") from None
        schema = app.openapi()
        app.state.services.dispose()
    repeated = duplicate_operation_ids(schema)
    if repeated:
        raise SchemaError(
            f"several routes share the operation id {', '.join(repeated)}: the id is the "
            "route function's name, so rename one of the functions"
        )
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="write the schema here instead of stdout")
    args = parser.parse_args(argv)
    try:
        text = canonical_schema(EXAMPLE_ENV)
    except SchemaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="ascii")
    return 0


if __name__ == "__main__":
    sys.exit(main())
