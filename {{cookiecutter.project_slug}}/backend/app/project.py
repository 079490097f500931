"""The project's name as its bake answer gave it, for the API title and the mail.

Read from `project.json`, a data file cookiecutter renders, so no answer is ever spliced into
Python source.
"""

from __future__ import annotations

import json
from importlib import resources


def _read_name() -> str:
    data = json.loads(resources.files("app").joinpath("project.json").read_text(encoding="utf-8"))
    name: str = data["name"]
    return name


PROJECT_NAME = _read_name()
