"""Pages benchmark: every page a signed-in person can reach, timed on about a million ledger rows.

``make bench-pages`` creates ``qm_bench_pages_<random>`` at ``PG_BENCH_URL`` (admin URL), seeds it
with ``bench/seed_large.py`` (10,000 items, 3 years, ~1M ledger rows; ``--items`` changes it),
creates a user holding every role, starts gunicorn (``make run``'s layout), signs in through the
sign-in form as a browser does (session cookie) and walks the pages: the menu's pages, then every
page below them up to ``--depth`` links away, one of each shape (one item page, one item
forecast, one supplier ...), htmx's ``hx-get`` parts included. Each
figure is the median of ``--repeat`` GETs after one warm-up, the whole body read. In the same run,
two baselines: the sign-in page (the floor: a template and a session, no data) and the API's
``GET /api/v1/items`` JSON page (the same service's plain JSON). The aim is under 300 ms per page.
The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.seed_large import ITEMS, seed_large  # noqa: E402
from bench.server import ADMIN_URL, _flask, _free_port, _url_for, call, start_gunicorn, stop  # noqa: E402

PASSWORD = "bench-pages-password"
ROLES = ("admin", "approver", "finance", "purchasing", "viewer", "warehouse")
AIM_MS = 300
_HREF = re.compile(r'<a\b[^>]*\bhref="([^"#]+)"')
_HX_GET = re.compile(r'\bhx-get="([^"#]+)"')
_NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# Links that are not pages: downloads, the API, the docs, sign-out.
_NOT_PAGES = re.compile(r"^/(api/|assets/|sign-|.*\.(csv|xlsx)$)")


class Browser:
    """One keep-alive connection with a cookie, as a browser tab holds it."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        sent = {"Cookie": self.cookie} if self.cookie else {}
        sent.update(headers or {})
        data = None
        if body is not None:
            data = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=sent)
        response = self.conn.getresponse()
        payload = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, response.getheader("Location"), payload

    def timed(self, path: str, repeat: int, headers=None) -> tuple[float, int, bytes]:
        status, _, body = self.request("GET", path, headers=headers)  # warm-up
        runs = []
        for _ in range(repeat):
            began = time.perf_counter()
            status, _, body = self.request("GET", path, headers=headers)
            runs.append((time.perf_counter() - began) * 1000)
        return statistics.median(runs), status, body


def sign_in(browser: Browser, username: str) -> None:
    _, _, form = browser.request("GET", "/sign-in")
    csrf = _CSRF.search(form.decode()).group(1)
    body = {"username": username, "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    status, _, _ = browser.request("POST", "/sign-in", body)
    if status != 302:
        raise RuntimeError(f"sign-in answered {status}")


def links(html: str) -> list[str]:
    """Pages this page links to: ``href`` and htmx's ``hx-get`` (parts loaded into the page)."""
    found = []
    for href in _HREF.findall(html) + _HX_GET.findall(html):
        href = unescape(href)
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/"):
            continue
        if _NOT_PAGES.search(parts.path) or "format=" in parts.query:
            continue
        if href not in found:
            found.append(href)
    return found


def shape(path: str) -> str:
    """``/items/17/forecast`` and ``/items/3/forecast`` are one page: ids as ``N``, no query."""
    return re.sub(r"/\d+(?=/|$)", "/N", urlsplit(path).path)


def pages_to_time(browser: Browser, depth: int) -> list[str]:
    """The menu's pages, then every page below them up to ``depth`` links away, one of each
    shape (the first an id page links to: the newest or first row of its list)."""
    _, _, home = browser.request("GET", "/")
    nav = _NAV.search(home.decode())
    menu = links(nav.group(1)) if nav else []
    prefixes = tuple(p.rstrip("/") + "/" for p in menu)
    walk, seen, frontier = ["/", *menu], {shape(p) for p in ["/", *menu]}, list(menu)
    for _ in range(depth):
        next_frontier = []
        for page in frontier:
            _, _, body = browser.request("GET", page)
            for href in links(body.decode(errors="replace")):
                if href.startswith(prefixes) and shape(href) not in seen:
                    seen.add(shape(href))
                    walk.append(href)
                    next_frontier.append(href)
        frontier = next_frontier
    return walk


def open_count(port: int, token: str) -> str:
    """A stocktake of the first warehouse with 60% of its lines counted, each one off the book:
    the count sheet's and the review's worst case (every counted line needs a tolerance check)."""
    taken = call(port, "POST", "/api/v1/stocktakes", {"warehouse_id": 1}, token)
    lines = taken["lines"]
    counted = lines[: len(lines) * 3 // 5]
    for start in range(0, len(counted), 500):  # MAX_COUNT_LINES per call
        batch = [
            {"item_id": x["item_id"], "counted_quantity": str(Decimal(x["book_quantity"] or 0) + 1)}
            for x in counted[start : start + 500]
        ]
        call(port, "POST", f"/api/v1/stocktakes/{taken['id']}/counts", {"lines": batch}, token)
    return f"stocktake {taken['id']}: {len(lines):,} lines, {len(counted):,} counted off the book"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--depth", type=int, default=3, help="links followed below the menu")
    args = parser.parse_args()
    dbname = f"qm_bench_pages_{uuid.uuid4().hex[:10]}"
    alchemy = make_url(_url_for(dbname)).set(drivername="postgresql+psycopg")
    alchemy = alchemy.render_as_string(False)
    env = {**os.environ, "DATABASE_URL": alchemy, "LOG_LEVEL": "WARNING",
           "SECRET_KEY": uuid.uuid4().hex}  # fmt: skip
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute(f'CREATE DATABASE "{dbname}"')
    print(f"PostgreSQL {version}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; database {dbname}", flush=True)  # fmt: skip
    proc = None
    try:
        began = time.perf_counter()
        counts = seed_large(alchemy, items=args.items)
        print(f"  seeded {counts['ledger_rows']:,} ledger rows over {counts['items']:,} items in "
              f"{time.perf_counter() - began:.1f} s", flush=True)  # fmt: skip
        roles = [x for role in ROLES for x in ("--role", role)]
        _flask(env, "users", "create", "--username", "bench-all", *roles, "--password", PASSWORD)
        with tempfile.TemporaryFile(mode="w+") as log:
            port = _free_port()
            proc = start_gunicorn(env, port, None, None, log)
            login = {"username": "bench-all", "password": PASSWORD}
            token = call(port, "POST", "/api/v1/auth/token", login)["access_token"]
            print("  " + open_count(port, token), flush=True)
            browser = Browser(port)
            floor, _, _ = browser.timed("/sign-in", args.repeat)
            api_ms, _, _ = Browser(port).timed(
                "/api/v1/items?page_size=50", args.repeat, {"Authorization": f"Bearer {token}"}
            )
            sign_in(browser, "bench-all")
            results = []
            for path in pages_to_time(browser, args.depth):
                ms, status, body = browser.timed(path, args.repeat)
                results.append((path, ms, status, len(body)))
        print()
        print(f"baselines: sign-in page {floor:.1f} ms; GET /api/v1/items (JSON) {api_ms:.1f} ms")
        print(f"{'page':<52} {'ms':>8} {'x sign-in':>10} {'x API':>7} {'status':>6} {'KB':>6}")
        slow = bad = 0
        for path, ms, status, size in results:
            over = "  (over the 300 ms aim)" if ms >= AIM_MS else ""
            slow += ms >= AIM_MS
            bad += status != 200
            print(f"{path[:52]:<52} {ms:8.1f} {ms / floor:10.1f} {ms / api_ms:7.1f} "
                  f"{status:>6} {size / 1024:6.0f}{over}")  # fmt: skip
        print(f"\n{len(results)} pages; {slow} over {AIM_MS} ms; {bad} not 200")
        return 0 if bad == 0 else 1
    finally:
        stop(proc)
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    raise SystemExit(main())
