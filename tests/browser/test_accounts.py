"""Sign up, log out and log in, as a new member does it in a browser."""

import pytest
from playwright.sync_api import expect

from accounts.models import CustomUser
from tests.browser.steps import assert_page_is_accessible, expect_signed_in, field, navigation

pytestmark = pytest.mark.browser


def test_visitor_signs_up_logs_out_and_logs_in_again(page, page_problems, screenshot):
    page.goto("/")
    navigation(page).get_by_role("link", name="Sign up").click()
    field(page, "Username").fill("carol")
    field(page, "Email").fill("carol@example.com")
    field(page, "Password").fill("a-long-reading-list-42")
    field(page, "Password (again)").fill("a-long-reading-list-42")
    assert_page_is_accessible(page)
    screenshot("sign-up-form")
    page.get_by_role("button", name="Sign up").click()

    expect_signed_in(page, "carol")
    assert CustomUser.objects.filter(username="carol", email="carol@example.com").exists()
    screenshot("signed-up")

    navigation(page).get_by_role("button", name="Signed in as carol").click()  # the account menu
    navigation(page).get_by_role("button", name="Log out").click()
    expect(navigation(page).get_by_role("link", name="Log in")).to_be_visible()
    expect(navigation(page).get_by_text("Signed in as carol")).to_have_count(0)

    navigation(page).get_by_role("link", name="Log in").click()
    field(page, "Username or e-mail").fill("carol@example.com")
    field(page, "Password").fill("a-long-reading-list-42")
    assert_page_is_accessible(page)
    screenshot("log-in-form")
    page.get_by_role("button", name="Log in").click()
    expect_signed_in(page, "carol")
    screenshot("logged-in")
    page_problems.assert_none()
