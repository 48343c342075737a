"""Password hashes: the one place that chooses how they are made.

Werkzeug's scrypt (n = 2**15, r = 8, p = 1) costs about 0.1 s of CPU and 32 MB a hash, which is
the point of a password hash. The test suite creates thousands of users, so it sets ``METHOD`` to
a cheap scrypt (tests/conftest.py). A stored hash names its own method and parameters, so
``werkzeug.security.check_password_hash`` checks either kind.
"""

from __future__ import annotations

from werkzeug.security import generate_password_hash

METHOD = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=METHOD)
