"""Scan what every commit of this repository added for secrets, offline, with detect-secrets.

`make scan-secrets` (and the CI job of that name) runs it over the whole history, every branch:
a secret committed once and deleted later is still in git, so it is reported too. It prints the
commit, file, line and kind of each finding, never the value, and exits 1 when there is one.

What counts as a secret, and what does not:
- detect-secrets' detectors of random material (high-entropy strings), private keys, known token
  formats and passwords in URLs (`smtps://user:password@host`) all run.
- Its keyword detector (`password = "..."`) does not: here it matches setting names, form field
  attributes and sentences, never a value; real passwords in this project live in URLs or in the
  `.env` files, which git ignores.
- A URL password that is a placeholder (`USER:PASSWORD`, `user:pass`, the `replace-me-...` value
  of the `.env.example` files) is documentation, not a secret.
- A line that says `pragma: allowlist secret` in a comment is a deliberate fake (a test's
  "real-looking" secret); `IGNORED_FILES` lists test data that cannot carry a comment.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.scan import scan_diff
from detect_secrets.settings import transient_settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
LEFT_OUT_DETECTORS = frozenset({"KeywordDetector"})
# detect-secrets skips a finding whose file is not in the working tree; in a history scan that
# would skip exactly the secret someone committed and then deleted.
LEFT_OUT_FILTERS = ("detect_secrets.filters.common.is_invalid_file",)
PLACEHOLDER_PASSWORDS = frozenset({"password", "pass", "pw", "secret", "changeme"})
PLACEHOLDER_PREFIX = "replace-me"
# `KEY=value` lines of env files (`.env`, `.env.example`...): detect-secrets only weighs quoted
# strings in a file type it does not know, so their values are quoted before the scan.
ENV_ASSIGNMENT = re.compile(r"^\+(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*)([^\s'\"#]+)\s*$")
IGNORED_FILES = frozenset(
    {
        # Look-alike secrets (sequences, repeats, placeholders) the secret rule must refuse.
        "backend/tests/secret_corpus.json",
    }
)


class ScanError(Exception):
    """The history cannot be scanned; the message says why and what to do."""


@dataclass(frozen=True)
class Finding:
    """One suspected secret: where it was added and what kind it looks like (never its value)."""

    commit: str
    path: str
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.commit[:12]} {self.path}:{self.line}: {self.kind}"


def is_placeholder(kind: str, value: str | None) -> bool:
    """Whether a finding's value is documentation rather than a secret."""
    if value is None:
        return False
    if value.lower().startswith(PLACEHOLDER_PREFIX):
        return True
    return kind == "Basic Auth Credentials" and value.lower() in PLACEHOLDER_PASSWORDS


def git(repository: Path, *args: str) -> str:
    executable = shutil.which("git")
    if executable is None:
        raise ScanError("git is not installed; install it and run this again")
    run = subprocess.run(
        [executable, "-C", str(repository), "-c", "core.quotePath=false", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise ScanError(f"git {args[0]} failed in {repository}: {run.stderr.strip()}")
    return run.stdout


def commits(repository: Path) -> list[str]:
    """Every commit reachable from any branch or tag, oldest first."""
    return git(repository, "rev-list", "--all", "--reverse").split()


def added_content(repository: Path, commit: str) -> str:
    """The lines `commit` added, as a unified diff against its first parent (or nothing)."""
    return git(
        repository,
        "show",
        "--format=",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--unified=0",
        "--diff-merges=first-parent",
        commit,
    )


def quote_env_values(diff: str) -> str:
    """`diff` with the unquoted values that added lines of env files assign put in quotes."""
    lines, in_env_file = [], False
    for line in diff.splitlines(keepends=True):
        if line.startswith("+++ "):
            in_env_file = Path(line[4:].strip()).name.startswith(".env")
        elif in_env_file and (match := ENV_ASSIGNMENT.match(line)):
            line = f'+{match.group(1)}"{match.group(2)}"\n'
        lines.append(line)
    return "".join(lines)


def findings_in(repository: Path, commit: str) -> Iterator[Finding]:
    diff = quote_env_values(added_content(repository, commit))
    if not diff.strip():
        return
    for secret in scan_diff(diff):
        if secret.filename in IGNORED_FILES or is_placeholder(secret.type, secret.secret_value):
            continue
        yield Finding(commit, secret.filename, secret.line_number, secret.type)


def scan(repository: Path) -> list[Finding]:
    """Every finding in the history of `repository`, in commit order."""
    if not (repository / ".git").exists():
        raise ScanError(f"{repository} is not a git repository; run this in the project's clone")
    every_detector: dict[str, type] = get_mapping_from_secret_type_to_class()
    names = sorted({detector.__name__ for detector in every_detector.values()} - LEFT_OUT_DETECTORS)
    with transient_settings({"plugins_used": [{"name": name} for name in names]}) as settings:
        settings.disable_filters(*LEFT_OUT_FILTERS)
        return [found for sha in commits(repository) for found in findings_in(repository, sha)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repository", type=Path, default=PROJECT_DIR, help="the clone to scan (default: this one)"
    )
    args = parser.parse_args(argv)
    try:
        found = scan(args.repository)
    except ScanError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not found:
        print(f"ok: no secret in the added lines of {len(commits(args.repository))} commit(s)")
        return 0
    for finding in found:
        print(f"secret? {finding}", file=sys.stderr)
    print(
        f"{len(found)} suspected secret(s) in git history. A real one stays in every clone: "
        "revoke or rotate it now ('make rotate-secret' for BETTER_AUTH_SECRET), then remove it "
        "from history. A deliberate fake in a test: add the comment 'pragma: allowlist secret' "
        "on its line.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
