"""A real Chromium driving the running site, for the browser journeys in tests/browser/.

One browser per test session (starting Chromium is the slow part), a new context (cookies,
storage) per test. Every page opened records console errors, uncaught exceptions and
Content Security Policy violations; a test ends with `page_problems.assert_none()` and the
fixture checks again at teardown, so a broken image or a blocked script fails the journey.

Chromium is Debian's (`apt-get install chromium`): `playwright install` cannot download
anything on these machines. Without it the journeys are skipped with the reason, unless
BOOKSTORE_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

import os
import re
from pathlib import Path

import pytest

from tests.fixtures_s3 import S3Fixture

CHROMIUM = os.environ.get("BOOKSTORE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"

# Reports every CSP violation to the test through an exposed function, which, unlike a
# variable on `window`, survives navigations.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__bookstoreCspViolation({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    page: document.location.href,
  });
});
"""


def _safe_name(name):
    return re.sub(r"[^\w.-]+", "_", name)


def _browser_unavailable(reason):
    if os.environ.get("BOOKSTORE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"BOOKSTORE_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"browser journeys skipped: {reason} (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, shared by every browser test of the session."""
    if not os.access(CHROMIUM, os.X_OK):
        _browser_unavailable(f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("the playwright package is not installed")
    # Playwright's sync API keeps an event loop in the test thread for the rest of the session;
    # the ORM calls the tests make beside it (factories, assertions) are still plain
    # synchronous calls, which Django would otherwise refuse next to a running loop.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:
        playwright.stop()
        _browser_unavailable(f"Chromium at {CHROMIUM} did not start: {exc}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def site(live_server, s3_storage, settings):
    """The running site, with covers stored in the moto S3 server as production would.

    The Content Security Policy's img-src and connect-src (direct uploads) are computed when
    settings are imported, from the real storage configuration; django-csp reads the policy on every response, so it is
    rebuilt here for the test's bucket endpoint, the way production computes it.
    """
    from covers.storage import configured_media

    policy = settings.CONTENT_SECURITY_POLICY
    directives = dict(policy["DIRECTIVES"])
    directives["img-src"] = [
        *[source for source in directives["img-src"] if source.startswith("'") or source.endswith(":")],
        *configured_media().origins,
    ]
    directives["connect-src"] = ["'self'", *configured_media().upload_origins]
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    # What the README asks of a bucket the book form posts covers to (js/direct-upload.js).
    s3_storage.client.put_bucket_cors(
        Bucket=s3_storage.bucket,
        CORSConfiguration={
            "CORSRules": [{"AllowedOrigins": [live_server.url], "AllowedMethods": ["POST"], "AllowedHeaders": ["*"]}]
        },
    )
    return Site(live_server.url, s3_storage)


class Site:
    def __init__(self, url, s3):
        self.url = url
        self.s3: S3Fixture = s3


class PageProblems:
    """Console errors, uncaught exceptions and CSP violations seen by one test's pages."""

    def __init__(self):
        self.console_errors = []
        self.page_errors = []
        self.csp_violations = []
        self._expected = []
        self.checked = False

    def expect_console_error(self, pattern):
        """Allows one known error, e.g. Chromium's log line for a page served with a 403."""
        self._expected.append(re.compile(pattern))

    def record_csp_violation(self, violation):
        self.csp_violations.append(violation)

    def _on_console(self, message):
        if message.type != "error":
            return
        text = f"{message.text} (at {message.location.get('url', '?')})"
        for index, pattern in enumerate(self._expected):
            if pattern.search(text):
                del self._expected[index]
                return
        self.console_errors.append(text)

    def summary(self):
        return {
            "console errors": self.console_errors,
            "uncaught exceptions": self.page_errors,
            "CSP violations": self.csp_violations,
        }

    def assert_none(self):
        self.checked = True
        problems = {kind: found for kind, found in self.summary().items() if found}
        assert not problems, f"the pages reported problems: {problems}"


@pytest.fixture
def page_problems():
    return PageProblems()


@pytest.fixture
def context(browser, site):
    """A fresh browser profile for one test: no cookies from any other test."""
    context = browser.new_context(base_url=site.url, viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, so `page` can photograph a failure."""
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


@pytest.fixture
def page(context, page_problems, request):
    """A tab that records every problem the pages report, checked again at teardown."""
    context.expose_function("__bookstoreCspViolation", page_problems.record_csp_violation)
    context.add_init_script(_CSP_LISTENER)
    page = context.new_page()
    page.on("console", page_problems._on_console)
    page.on("pageerror", lambda error: page_problems.page_errors.append(str(error)))
    yield page
    report = getattr(request.node, "_report_call", None)
    if report is not None and report.failed:
        folder = SCREENSHOTS / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{_safe_name(request.node.name)}.png", full_page=True)
    elif not page_problems.checked:
        page_problems.assert_none()


@pytest.fixture
def screenshot(page, request):
    """Saves a PNG of what the member sees now, under test-artifacts/screenshots/<test>/."""
    folder = SCREENSHOTS / _safe_name(request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*.png"), SCREENSHOTS / "failures" / f"{folder.name}.png"]:
        old.unlink(missing_ok=True)
    counter = iter(range(1, 100))

    def take(name, *, full_page=False, **options):
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=path, full_page=full_page, **options)
        return path

    return take
