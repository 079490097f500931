"""Bake the template into a scratch directory, without hooks, for the maintenance commands."""

from __future__ import annotations

from pathlib import Path

from cookiecutter.main import cookiecutter

REPO = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = REPO / "{{cookiecutter.project_slug}}"


def bake(output: Path, **answers: str) -> Path:
    """The project baked from this checkout into `output` with `answers`; no hook runs, so no
    `.env` is written and nothing is pruned. Cookiecutter's replay file stays in `output`."""
    output.mkdir(parents=True, exist_ok=True)
    config = output / "cookiecutter.yaml"
    config.write_text(f"replay_dir: {output / 'replay'}\ncookiecutters_dir: {output / 'clones'}\n")
    return Path(
        cookiecutter(
            str(REPO),
            no_input=True,
            extra_context=answers,
            output_dir=str(output),
            config_file=str(config),
            accept_hooks=False,
        )
    )
