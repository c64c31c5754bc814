"""What the browser tests share: the stack fixtures of tests/dashboard, and one headless Chromium per test."""

import pytest

from tests.browser.chromium import ARGS, CHROMIUM
from tests.dashboard.conftest import key_prefix, redis_url, tokens  # noqa: F401  (shared fixtures)


@pytest.fixture
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()
