"""`make client`: regenerate the typed API client that each bake commits, for every set of routes.

Two answers switch routes on and off (allow_registration: /auth/register; email_verification:
which form of it, and /auth/verify-email), so a bake's generated client depends on them, while
frontend files are copied without rendering. This bakes each of the four combinations, runs the
bake's own `make client` in it (its backend exports the schema, the generator pinned in its
package.json writes frontend/src/client), and stores the results in the template: the files all
four share in frontend/src/client/, each combination's own files in
frontend/api-client-variants/<combination>/, from which the post-generation hook moves a bake's
into place. The four bakes share the test matrix's backend virtualenv and npm cache, and one
`npm ci` (their package-lock.json is the same file).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hooks.post_gen_project import CLIENT_DIR, CLIENT_VARIANTS_DIR, client_variant
from tools.baking import REPO, TEMPLATE_DIR, bake

CACHE = Path(os.environ.get("SECURE_STACK_CACHE", REPO / ".cache"))
BACKEND_VENV = CACHE / "backend-venv"
NPM_CACHE = CACHE / "npm"
ROUTE_ANSWERS = [
    {"allow_registration": registration, "email_verification": verification}
    for registration in ("yes", "no")
    for verification in ("required", "off")
]


class MakeFailed(Exception):
    """A bake's `make` target failed; the message holds the end of its output."""


def make(project: Path, target: str) -> None:
    """Run `make target` in a bake with the shared virtualenv and npm cache."""
    done = subprocess.run(
        ["make", "-C", str(project), target, f"VENV={BACKEND_VENV}"],
        env={**os.environ, "npm_config_cache": str(NPM_CACHE)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-3000:]
        raise MakeFailed(f"make {target} failed in {project}:\n{output}")


def file_contents(directory: Path) -> dict[str, bytes]:
    """Every file under `directory`, by its relative path."""
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def generate_all(scratch: Path) -> dict[str, dict[str, bytes]]:
    """Each combination's generated client, as its bake's `make client` writes it."""
    clients: dict[str, dict[str, bytes]] = {}
    installed: Path | None = None
    for answers in ROUTE_ANSWERS:
        name = client_variant(answers)
        project = bake(scratch / name, include_frontend="yes", **answers)
        modules = project / "frontend" / "node_modules"
        if installed is None:
            make(project, "install-frontend")
            installed = modules
        else:
            modules.symlink_to(installed, target_is_directory=True)
        print(f"{name}: make client", flush=True)
        make(project, "client")
        clients[name] = file_contents(project / CLIENT_DIR)
    return clients


def split(
    clients: dict[str, dict[str, bytes]],
) -> tuple[dict[str, bytes], dict[str, dict[str, bytes]]]:
    """The files every client has alike, and what each has besides."""
    first = next(iter(clients.values()))
    shared = {
        path: content
        for path, content in first.items()
        if all(files.get(path) == content for files in clients.values())
    }
    own = {
        name: {path: content for path, content in files.items() if path not in shared}
        for name, files in clients.items()
    }
    return shared, own


def write_tree(directory: Path, files: dict[str, bytes]) -> None:
    """Make `directory` hold exactly `files`."""
    shutil.rmtree(directory, ignore_errors=True)
    for relative, content in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def stored_files() -> dict[str, bytes]:
    """The client files the template holds, by their path in the template directory."""
    found: dict[str, bytes] = {}
    for directory in (TEMPLATE_DIR / CLIENT_DIR, TEMPLATE_DIR / CLIENT_VARIANTS_DIR):
        if directory.is_dir():
            prefix = directory.relative_to(TEMPLATE_DIR).as_posix()
            found |= {f"{prefix}/{path}": c for path, c in file_contents(directory).items()}
    return found


def main() -> int:
    before = stored_files()
    with tempfile.TemporaryDirectory(prefix="client-") as scratch:
        try:
            clients = generate_all(Path(scratch))
        except MakeFailed as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    shared, own = split(clients)
    write_tree(TEMPLATE_DIR / CLIENT_DIR, shared)
    shutil.rmtree(TEMPLATE_DIR / CLIENT_VARIANTS_DIR, ignore_errors=True)
    for name, files in own.items():
        write_tree(TEMPLATE_DIR / CLIENT_VARIANTS_DIR / name, files)
    after = stored_files()
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    print(f"{len(shared)} shared files, {sum(map(len, own.values()))} of {len(own)} route sets")
    print(f"changed: {', '.join(changed)}" if changed else "already current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
