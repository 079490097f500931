"""`make lock`: regenerate the baked backend's `uv.lock` after a change to its dependencies.

Cookiecutter renders `backend/uv.lock` like any other file, and a lock names the project's own
package (from the slug) and differs between the SQLite and PostgreSQL bakes. So this bakes both,
runs `uv lock` in each, and writes one template: the package name as its Jinja expression, the
lines only one database has inside `{% if %}` blocks. The PostgreSQL lock is made first and
seeds the SQLite one, so the two pin every shared package alike (a virtualenv shared by both
bakes, as the template's test matrix uses, is never flipped between versions). Each bake starts
from the current template's lock, so only what the change needs moves; `--upgrade` lifts every
pin to the newest allowed release. Before writing, the template is rendered back for both
databases and must reproduce uv's locks byte for byte.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.environment import StrictEnvironment

from tools.baking import TEMPLATE_DIR, bake

LOCK_TEMPLATE = TEMPLATE_DIR / "backend" / "uv.lock"
UV = Path(sys.executable).parent / "uv"
DEFAULT_SLUG = "secure_stack_app"
# How uv spells the default bake's package, and the expression that spells any bake's: uv
# normalises the name (PEP 503), which cookiecutter's slugify filter does alike for a slug.
LOCKED_NAME = '"secure-stack-app-backend"'
NAME_EXPRESSION = '"{{ cookiecutter.project_slug | slugify }}-backend"'
# Tags stand at the start of the line they govern, so no blank line or indentation near them
# changes what they render.
POSTGRESQL = '{% if cookiecutter.database == "postgresql" %}'
SQLITE = '{% if cookiecutter.database != "postgresql" %}'
ELSE = "{% else %}"
END = "{% endif %}"


def uv_lock(backend: Path, *flags: str) -> str:
    """Run `uv lock` in `backend`; the lock it wrote."""
    subprocess.run([str(UV), "lock", "--quiet", *flags], cwd=backend, check=True)
    return (backend / "uv.lock").read_text(encoding="utf-8")


def merge(postgresql: str, sqlite: str) -> str:
    """One template text that renders to `postgresql` or `sqlite` by the database answer."""
    ours, theirs = postgresql.splitlines(keepends=True), sqlite.splitlines(keepends=True)
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
    for operation, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        only_ours, only_theirs = "".join(ours[a_start:a_end]), "".join(theirs[b_start:b_end])
        if operation == "equal":
            parts.append(only_ours)
        elif operation == "delete":
            parts.append(f"{POSTGRESQL}{only_ours}{END}")
        elif operation == "insert":
            parts.append(f"{SQLITE}{only_theirs}{END}")
        else:
            parts.append(f"{POSTGRESQL}{only_ours}{ELSE}{only_theirs}{END}")
    return "".join(parts)


def render(template: str, database: str) -> str:
    """`template` as cookiecutter renders it for the default slug and `database`."""
    environment = StrictEnvironment(context={"cookiecutter": {}}, keep_trailing_newline=True)
    answers = {"project_slug": DEFAULT_SLUG, "database": database}
    return environment.from_string(template).render(cookiecutter=answers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--upgrade", action="store_true", help="move every package to its newest allowed release"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lock-") as scratch:
        locks: dict[str, str] = {}
        seed: Path | None = None
        for database in ("postgresql", "sqlite"):
            project = bake(Path(scratch, database), database=database, include_frontend="no")
            backend = project / "backend"
            if seed is not None:
                shutil.copyfile(seed, backend / "uv.lock")
            flags = ("--upgrade",) if args.upgrade and seed is None else ()
            locks[database] = uv_lock(backend, *flags)
            seed = backend / "uv.lock"
    template = merge(locks["postgresql"], locks["sqlite"]).replace(LOCKED_NAME, NAME_EXPRESSION)
    for database, lock in locks.items():
        if render(template, database) != lock:
            print(f"error: the merged template does not render the {database} lock back; report it")
            return 1
    before = LOCK_TEMPLATE.read_text(encoding="utf-8") if LOCK_TEMPLATE.exists() else ""
    changed = before != template
    LOCK_TEMPLATE.write_text(template, encoding="utf-8")
    where = LOCK_TEMPLATE.relative_to(TEMPLATE_DIR.parent)
    print(f"{where}: {'updated' if changed else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
