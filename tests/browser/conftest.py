"""Browser tests: real Chromium (Debian's package) driven by Playwright's sync API.

Playwright runs an event loop on the test thread, so Django would refuse ORM calls made by the test
itself; DJANGO_ALLOW_ASYNC_UNSAFE is set for these tests only. pytest-django's live_server serves
the app (static files included) from another thread.
"""

import os
import shutil

import pytest

from tests import demo_snapshot
from tests.browser import axe
from tests.browser.demo_pages import Page, main_pages
from tests.conftest import skip_or_fail

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture
def axe_served(request, settings):
    """axe-core served from the app's own static files, for this test (tests/browser/axe.py).
    What the test checked travels with its report to the run's summary (tests/conftest.py): under
    pytest-xdist the summary is written by another process."""
    axe.serve_axe(settings)
    before = len(axe.TALLY.checked)
    yield
    request.node.user_properties.append((axe.CHECKED, axe.TALLY.checked[before:]))


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        skip_or_fail(f"needs Chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server, settings):
    settings.SITE_URL = live_server.url
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser, live_server, settings):
    """A 390 px wide phone screen."""
    settings.SITE_URL = live_server.url
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


@pytest.fixture
def demo_pages(demo_rows, live_server, settings, transactional_db) -> dict[str, list[Page]]:
    """The demo organisation as `seed_demo` leaves it (seeded once per run), and the main pages of
    each of its roles (tests/browser/demo_pages.py), by email."""
    settings.SITE_URL = live_server.url
    demo_snapshot.load(demo_rows)
    return main_pages()
