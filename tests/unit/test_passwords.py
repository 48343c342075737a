"""The service hashes passwords at Werkzeug's full scrypt strength; only this suite lowers it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from werkzeug.security import check_password_hash

from inventory import passwords

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "from inventory import passwords; print(passwords.hash_password('pw'))"


def test_the_service_hashes_with_full_strength_scrypt():
    # A process of its own: tests/conftest.py has lowered the cost in this one.
    made = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert made.startswith("scrypt:32768:8:1$")
    assert check_password_hash(made, "pw") and not check_password_hash(made, "pW")


def test_a_hash_made_under_the_suites_cheaper_method_checks_the_same_way():
    made = passwords.hash_password("correct-horse")
    assert made.startswith(passwords.METHOD + "$")
    assert made != passwords.hash_password("correct-horse")  # salted
    assert check_password_hash(made, "correct-horse")
    assert not check_password_hash(made, "correct-horsE")
