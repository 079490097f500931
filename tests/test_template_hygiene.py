"""The template directory holds only what a bake should copy: no caches, installs or secrets.

A local-path bake copies untracked files too, so a stray `.ruff_cache` or `node_modules` in the
template would land in (or break) every bake made from this checkout.
"""

from __future__ import annotations

import subprocess

from tests.support import REPO, require_tool

TEMPLATE = "{{cookiecutter.project_slug}}"


def test_template_directory_holds_no_ignored_files() -> None:
    git = require_tool("git")
    ignored = subprocess.run(
        [git, "ls-files", "--others", "--ignored", "--exclude-standard", "--directory", TEMPLATE],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert ignored == [], "remove these from the template directory: " + ", ".join(ignored)


def test_no_env_file_is_tracked() -> None:
    git = require_tool("git")
    tracked = subprocess.run(
        [git, "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert [path for path in tracked if path.split("/")[-1] == ".env"] == []
