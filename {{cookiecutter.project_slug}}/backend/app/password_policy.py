"""Which passwords are refused: too short, too long, or easy to guess for this account.

zxcvbn estimates how many guesses an attacker needs, knowing the common passwords, names and
words, keyboard walks, repeats, sequences, dates and l33t substitutions, and here also the
account's own email and its parts. A score of 3 of 4 ("safely unguessable: moderate protection
from offline slow-hash scenario") is required, on top of the length rules.

zxcvbn costs milliseconds for ordinary passwords and up to a few hundred on 128 characters, so
callers run this in a worker thread, after throttling, never on the event loop. zxcvbn keeps the
user inputs in a module-level dictionary, so calls take turns behind a lock: two registrations
at once must not check each other's email.
"""

from __future__ import annotations

import re
import threading

from zxcvbn import zxcvbn

from app.passwords import normalise

MIN_PASSWORD_LENGTH = 12
# Long enough for any passphrase, short enough that checking and hashing stay cheap to refuse.
MAX_PASSWORD_LENGTH = 128
MIN_SCORE = 3
# A local part this long is a name (`ann.smith`), not a common word an unrelated password may hold.
MIN_NAME_PART = 5
WHAT_PASSES = "four or more unrelated words, or a password manager's random password, will pass"
_zxcvbn_turn = threading.Lock()


def email_inputs(email: str) -> list[str]:
    """The email, its local part and domain, with and without punctuation, and their words:
    what an attacker who knows the address tries first."""
    address = email.strip().lower()
    local, _, domain = address.partition("@")
    words = [word for word in re.split(r"[^a-z0-9]+", address) if len(word) >= 3]
    joined = [re.sub(r"[^a-z0-9]+", "", part) for part in (local, address)]
    return list(dict.fromkeys([address, local, domain, *joined, *words]))


def _alphanumeric(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _contains_address(password: str, email: str) -> bool:
    """The address, or its name part, inside the password, ignoring case and punctuation."""
    address = _alphanumeric(email)
    name = _alphanumeric(email.partition("@")[0])
    bare = _alphanumeric(password)
    return (bool(address) and address in bare) or (len(name) >= MIN_NAME_PART and name in bare)


def password_problem(password: str, email: str) -> str | None:
    """Why `password` is refused for the account `email`, as a sentence that says what would
    pass; None when it is acceptable. Never repeats the password."""
    password = normalise(password)
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must be at least {MIN_PASSWORD_LENGTH} characters; {WHAT_PASSES}"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"password must be at most {MAX_PASSWORD_LENGTH} characters"
    if _contains_address(password, email):
        return f"password must not contain the email address or its name part; {WHAT_PASSES}"
    with _zxcvbn_turn:
        verdict = zxcvbn(password, user_inputs=email_inputs(email), max_length=MAX_PASSWORD_LENGTH)
    if verdict["score"] >= MIN_SCORE:
        return None
    warning = str(verdict["feedback"]["warning"]).rstrip(".") or "It follows a common pattern"
    warning = warning[0].lower() + warning[1:]
    return f"password is too easy to guess ({warning}); {WHAT_PASSES}"
