"""Browser tests launch Debian's Chromium by path (pytest-playwright's own download is not
reachable here); see tests/e2e/browser.py."""

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import CHROMIUM_ARGS, chromium_path, live_server  # noqa: F401 - fixture

# A page's answer can take seconds on a busy CI machine (the suite runs two workers on two
# cores); Playwright's default of 5 s for an expectation made the browser tests flaky there.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path(),
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def base_url():
    # pytest-playwright's own base_url fixture trips a pytest 9 deprecation (an error under
    # filterwarnings = error); the tests build URLs from the live server instead.
    return None
