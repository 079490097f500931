"""`make client`: regenerate the typed API client, frontend/src/client, from the backend's schema.

The backend exports its canonical OpenAPI schema (`python -m app.openapi`) and the generator
pinned in frontend/package.json (@hey-api/openapi-ts, set up in frontend/openapi-ts.config.ts)
turns it into TypeScript. Run it after changing a route or a request or response model, and
commit the result. `--check` generates into a scratch directory and changes nothing: it fails,
naming the stale files, while the committed client no longer matches the API (the scripts' test
suite runs it).

Run with the backend's virtualenv (`make client` does): the export imports the backend.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
BACKEND_DIR = PROJECT_DIR / "backend"
FRONTEND_DIR = PROJECT_DIR / "frontend"
CLIENT_DIR = FRONTEND_DIR / "src" / "client"
GENERATOR = FRONTEND_DIR / "node_modules" / ".bin" / "openapi-ts"
GENERATOR_CONFIG = FRONTEND_DIR / "openapi-ts.config.ts"
TIMEOUT_SECONDS = 300


class ClientError(Exception):
    """The client cannot be generated; the message says what to do."""


def _run(command: list[str], cwd: Path, what: str) -> None:
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ClientError(f"{what} could not run: {error}") from None
    if done.returncode != 0:
        raise ClientError(f"{what} failed:\n{(done.stderr or done.stdout).strip()}")


def export_schema(destination: Path) -> None:
    """The backend's canonical schema, written to `destination`."""
    command = [sys.executable, "-m", "app.openapi", "--output", str(destination)]
    _run(command, BACKEND_DIR, "the backend's schema export (python -m app.openapi)")


def generate(schema: Path, output: Path) -> None:
    """The client generated from `schema` into the directory `output`."""
    if not GENERATOR.exists():
        raise ClientError(
            "the generator is not installed (frontend/node_modules/.bin/openapi-ts); "
            "run 'make install-frontend'"
        )
    if shutil.which("node") is None:
        raise ClientError("node is not on PATH; the generator needs it (Node 20.19+ or 22.12+)")
    command = [str(GENERATOR), "-f", str(GENERATOR_CONFIG), "-i", str(schema), "-o", str(output)]
    _run([*command, "--silent"], FRONTEND_DIR, "the generator (@hey-api/openapi-ts)")


def file_contents(directory: Path) -> dict[str, bytes]:
    """Every file under `directory`, by its relative path."""
    if not directory.is_dir():
        return {}
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in directory.rglob("*")
        if path.is_file()
    }


def stale_files(committed: Path, fresh: Path) -> list[str]:
    """Files that differ between the two directories, or are in only one of them."""
    old, new = file_contents(committed), file_contents(fresh)
    return sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only say whether the committed client is current"
    )
    args = parser.parse_args(argv)
    where = CLIENT_DIR.relative_to(PROJECT_DIR).as_posix()
    with tempfile.TemporaryDirectory(prefix="api-client-") as scratch:
        schema, fresh = Path(scratch, "openapi.json"), Path(scratch, "client")
        try:
            export_schema(schema)
            generate(schema, fresh)
        except ClientError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        stale = stale_files(CLIENT_DIR, fresh)
        if args.check and stale:
            print(
                f"error: {where} does not match the backend's API ({', '.join(stale)} would "
                "change); run 'make client' and commit the result",
                file=sys.stderr,
            )
            return 1
        if stale:
            # The directory is the generator's alone: a file it no longer writes goes too.
            shutil.rmtree(CLIENT_DIR, ignore_errors=True)
            shutil.copytree(fresh, CLIENT_DIR)
    print(f"{where}: {'regenerated: ' + ', '.join(stale) if stale else 'current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
