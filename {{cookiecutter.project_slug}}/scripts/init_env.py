"""Create or complete `backend/.env` and `frontend/.env` with one shared BETTER_AUTH_SECRET,
and `backend/.env.production`, the production settings, with a secret of its own.

Safe to run any number of times: an existing valid secret is kept, values you edited stay as
they are, and settings that `.env.example` gained since are appended. `--force-new-secret`
replaces the secret in both development files together (existing sessions and tokens stop
working; use `rotate_secret.py` for a rotation without downtime); the production file keeps its
own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import envfile
import production_env

PROJECT_DIR = Path(__file__).resolve().parent.parent


def choose_secret(pairs: list[envfile.EnvPair], force_new: bool) -> tuple[str, str]:
    """The secret both files will hold, and a sentence that says where it came from."""
    if force_new:
        return envfile.new_secret(), "generated a new secret (--force-new-secret)"
    for pair in pairs:
        existing = envfile.read(pair.env).get(envfile.SECRET_KEY)
        if existing is not None and envfile.secret_problem(envfile.SECRET_KEY, existing) is None:
            where = pair.env.relative_to(PROJECT_DIR)
            return existing, f"kept the existing secret from {where}"
    return envfile.new_secret(), "generated a new secret"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--force-new-secret",
        action="store_true",
        help="replace the secret in both .env files even if the current one is valid",
    )
    args = parser.parse_args(argv)
    try:
        pairs = envfile.project_pairs(PROJECT_DIR)
        secret, origin = choose_secret(pairs, args.force_new_secret)
        envfile.write_all(pairs, {envfile.SECRET_KEY: secret})
        production = production_env.write(development_secret=secret)
    except (envfile.EnvFileError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    written = ", ".join(str(pair.env.relative_to(PROJECT_DIR)) for pair in pairs)
    print(f"{written}: {origin}; {production}; mode 0600, ignored by git.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
