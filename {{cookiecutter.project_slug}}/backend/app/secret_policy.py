"""Whether a value is random enough to sign tokens: the one rule for BETTER_AUTH_SECRET.

The parameters and the sentences live in `secret_policy.json`, which the Vite guard reads too (a
TypeScript port of this logic), so the backend, `scripts/` and the frontend build refuse exactly
the same values with the same words. Standard library only: `scripts/envfile.py` loads this file
by path with the system Python, before any virtualenv exists.

The checks are estimates of randomness, not proofs: a value must be long enough, its characters
must come from an alphabet large enough to carry `min_bits` at that length, and it must not be a
repetition or a sequence (consecutive code points or keyboard keys). Random output of
`secrets.token_urlsafe(32)`, `openssl rand -hex 32` or `openssl rand -base64 32` passes; a phrase a
human chose may pass too, which is why `make env` generates the secret.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLICY_FILE = Path(__file__).resolve().with_name("secret_policy.json")
_POLICY: dict[str, Any] = json.loads(POLICY_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class _Alphabet:
    name: str
    size: int
    pattern: re.Pattern[str]
    padding: str


_ALPHABETS = tuple(
    _Alphabet(item["name"], item["size"], re.compile(item["pattern"]), item["padding"])
    for item in _POLICY["alphabets"]
)


def _keyboard_positions() -> dict[str, tuple[int, int]]:
    """Row and column of every key, shifted or not, on the keyboard rows of the policy."""
    positions: dict[str, tuple[int, int]] = {}
    for row, layers in enumerate(_POLICY["keyboard_rows"]):
        for layer in layers:
            for column, key in enumerate(layer):
                positions[key] = (row, column)
    return positions


_KEYS = _keyboard_positions()


def _say(reason: str, **values: object) -> str:
    return str(_POLICY["messages"][reason]).format(**values)


def _is_sequence_step(left: str, right: str) -> bool:
    """Neighbours in code points (`ab`, `98`) or on one keyboard row (`qw`, `lk`)."""
    if abs(ord(left) - ord(right)) == 1:
        return True
    here, there = _KEYS.get(left), _KEYS.get(right)
    return (
        here is not None
        and there is not None
        and here[0] == there[0]
        and abs(here[1] - there[1]) == 1
    )


def _shape_problem(name: str, value: str) -> str | None:
    """Repetition and sequences, measured on code points."""
    characters = list(value)
    trigrams = ["".join(characters[i : i + 3]) for i in range(len(characters) - 2)]
    distinct = len(set(trigrams))
    min_percent = int(_POLICY["min_distinct_trigram_percent"])
    if trigrams and distinct * 100 < len(trigrams) * min_percent:
        percent = distinct * 100 // len(trigrams)
        return _say("repetition", name=name, percent=percent, min_percent=min_percent)
    steps = len(characters) - 1
    sequential = sum(_is_sequence_step(a, b) for a, b in itertools.pairwise(characters))
    max_percent = int(_POLICY["max_sequence_step_percent"])
    if steps and sequential * 100 >= steps * max_percent:
        percent = sequential * 100 // steps
        return _say("sequence", name=name, percent=percent, max_percent=max_percent)
    return None


def secret_problem(name: str, value: str | None) -> str | None:
    """Why `value` cannot sign tokens, as a sentence naming `name` and the fix; None if it can."""
    if not value:
        return _say("missing", name=name)
    lowered = value.lower()
    if any(marker in lowered for marker in _POLICY["placeholder_markers"]):
        return _say("placeholder", name=name)
    size = len(value.encode())
    if size < _POLICY["min_bytes"]:
        return _say("short", name=name, bytes=size, min_bytes=_POLICY["min_bytes"])
    alphabet = next(item for item in _ALPHABETS if item.pattern.fullmatch(value))
    material = value.rstrip(alphabet.padding) if alphabet.padding else value
    length = len(material)
    bits = length * math.log2(alphabet.size)
    if bits < _POLICY["min_bits"]:
        return _say(
            "entropy",
            name=name,
            length=length,
            alphabet=alphabet.name,
            bits=math.floor(bits),
            min_bits=_POLICY["min_bits"],
        )
    return _shape_problem(name, value)
