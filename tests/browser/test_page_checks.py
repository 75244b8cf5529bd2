"""The journeys' watchdog: a page that breaks the CSP or logs an error must fail its test."""

import pytest

pytestmark = pytest.mark.browser


def test_page_problems_catch_a_blocked_inline_script_and_a_console_error(page, site, page_problems):
    page.goto("/about/")
    page.evaluate(
        """() => {
             const script = document.createElement("script");
             script.textContent = "document.title = 'injected'";
             document.head.append(script);
             console.error("something broke");
           }"""
    )
    for _ in range(40):  # violations arrive through an exposed function, a moment later
        if page_problems.csp_violations:
            break
        page.wait_for_timeout(50)

    assert page.title() != "injected", "the CSP blocked the inline script"
    assert [v["directive"] for v in page_problems.csp_violations] == ["script-src-elem"]
    assert any("something broke" in error for error in page_problems.console_errors)
    with pytest.raises(AssertionError, match="CSP violations"):
        page_problems.assert_none()
