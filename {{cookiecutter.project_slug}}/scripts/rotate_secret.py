"""Rotate BETTER_AUTH_SECRET in both `.env` files together, keeping the old one for verification.

The current secret moves to BETTER_AUTH_SECRET_PREVIOUS, which the backend accepts for verifying
(never for signing) access tokens already handed out, until BETTER_AUTH_SECRET_PREVIOUS_UNTIL:
this moment plus one access-token lifetime plus the clock-skew leeway, read from backend/.env. By
then every token the old secret signed has expired. Restart the backend after rotating, and
remove both PREVIOUS lines once that instant has passed (`python -m app.doctor` reminds you).
"""

from __future__ import annotations

import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import envfile

PROJECT_DIR = Path(__file__).resolve().parent.parent
UNTIL_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# The backend's defaults, for a backend/.env that does not set these keys.
DEFAULT_ACCESS_TOKEN_MINUTES = 15
DEFAULT_LEEWAY_SECONDS = 10


def _whole_number(values: dict[str, str], key: str, default: int) -> int:
    raw = values.get(key, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise envfile.EnvFileError(
            f"{key} in backend/.env is {raw!r}, not a whole number; fix it before rotating"
        )
    return int(raw)


def access_window_seconds(backend_values: dict[str, str]) -> int:
    """How long a token signed now may be accepted: one access lifetime plus the leeway."""
    test_seconds = _whole_number(backend_values, "ACCESS_TOKEN_TEST_SECONDS", 0)
    minutes = _whole_number(backend_values, "ACCESS_TOKEN_MINUTES", DEFAULT_ACCESS_TOKEN_MINUTES)
    lifetime = test_seconds or minutes * 60
    return lifetime + _whole_number(backend_values, "JWT_LEEWAY_SECONDS", DEFAULT_LEEWAY_SECONDS)


def main(argv: list[str] | None = None) -> int:
    if argv:
        print(f"error: rotate_secret.py takes no arguments, got {' '.join(argv)}", file=sys.stderr)
        return 2
    try:
        pairs = envfile.project_pairs(PROJECT_DIR)
        backend_values = envfile.read(pairs[0].env)
        current = backend_values.get(envfile.SECRET_KEY)
        problem = envfile.secret_problem(f"{envfile.SECRET_KEY} in backend/.env", current)
        if problem is not None:
            print(f"error: there is nothing to rotate: {problem}", file=sys.stderr)
            return 1
        end = math.ceil(time.time() + access_window_seconds(backend_values))
        until = datetime.fromtimestamp(end, tz=UTC).strftime(UNTIL_FORMAT)
        overrides = {
            envfile.SECRET_KEY: envfile.new_secret(),
            envfile.PREVIOUS_SECRET_KEY: current or "",
            envfile.PREVIOUS_UNTIL_KEY: until,
        }
        envfile.write_all(pairs, overrides)
    except (envfile.EnvFileError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    written = " and ".join(str(pair.env.relative_to(PROJECT_DIR)) for pair in pairs)
    print(
        f"Rotated {envfile.SECRET_KEY} in {written}; the old one is now "
        f"{envfile.PREVIOUS_SECRET_KEY}, accepted for verification until {until} (one access-token "
        f"lifetime plus leeway). Restart the backend now, and remove both "
        f"{envfile.PREVIOUS_SECRET_KEY} lines after that instant."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
