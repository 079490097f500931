"""Create an account from the command line: `python -m app.create_user --email E [--password P]`.

Works with registration switched off, which is how operators (and `make demo`) add users. The
password comes from --password, else $CREATE_USER_PASSWORD, else stdin, so it need not appear
in the process list or shell history, and must pass the same policy as a registration. Running
it again for an existing email changes nothing and succeeds.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from app.accounts import EmailTaken
from app.db import DatabaseNotReady
from app.password_policy import password_problem
from app.schemas import RegisterIn
from app.services import build_services
from app.settings import SettingsError, chosen_env_file, env_file_label, load_settings

PASSWORD_VARIABLE = "CREATE_USER_PASSWORD"  # noqa: S105 - the name of a variable


def read_password(given: str | None) -> str:
    if given is not None:
        return given
    if PASSWORD_VARIABLE in os.environ:
        return os.environ[PASSWORD_VARIABLE]
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", help=f"else ${PASSWORD_VARIABLE}, else read from stdin")
    parser.add_argument(
        "--env-file", type=Path, help="default: the file $BACKEND_ENV_FILE names, else backend/.env"
    )
    args = parser.parse_args(argv)
    # Without --env-file, load_settings() reads (and checks) what $BACKEND_ENV_FILE names.
    chosen = {} if args.env_file is None else {"_env_file": args.env_file}
    try:
        request = RegisterIn(email=args.email, password=read_password(args.password))
        settings = load_settings(**chosen)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            print(f"error: {item['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    except SettingsError as error:
        where = env_file_label(chosen.get("_env_file", chosen_env_file()))
        print(f"error: the settings in {where} are unusable:\n{error}", file=sys.stderr)
        return 1
    problem = password_problem(request.password, request.email)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        services = build_services(settings)
    except DatabaseNotReady as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        user = services.accounts.register(request.email, request.password)
    except EmailTaken:
        print(f"{request.email} already exists; left unchanged.")
        return 0
    finally:
        services.dispose()
    print(f"Created {user.email} (id {user.id}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
