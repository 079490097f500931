"""Rotate BETTER_AUTH_SECRET in both `.env` files together, keeping the old one for verification.

The current secret moves to BETTER_AUTH_SECRET_PREVIOUS, which the backend accepts for
verifying (never for signing) access tokens already handed out. Restart the backend, then delete
the PREVIOUS value once one access-token lifetime has passed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import envfile

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    if argv:
        print(f"error: rotate_secret.py takes no arguments, got {' '.join(argv)}", file=sys.stderr)
        return 2
    try:
        pairs = envfile.project_pairs(PROJECT_DIR)
        current = envfile.read(pairs[0].env).get(envfile.SECRET_KEY)
        problem = envfile.secret_problem(current)
        if current is None or problem is not None:
            print(
                f"error: {envfile.SECRET_KEY} in backend/.env {problem}; "
                "there is nothing to rotate. Run 'make env' to create it.",
                file=sys.stderr,
            )
            return 1
        overrides = {
            envfile.SECRET_KEY: envfile.new_secret(),
            envfile.PREVIOUS_SECRET_KEY: current,
        }
        envfile.write_all(pairs, overrides)
    except (envfile.EnvFileError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    written = " and ".join(str(pair.env.relative_to(PROJECT_DIR)) for pair in pairs)
    print(
        f"Rotated {envfile.SECRET_KEY} in {written}; the old one is now "
        f"{envfile.PREVIOUS_SECRET_KEY}. Restart the backend, and remove "
        f"{envfile.PREVIOUS_SECRET_KEY} after one access-token lifetime."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
