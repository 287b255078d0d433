from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


def test_it_signs_a_participant_in_by_password(page, world):
    sign_in(page, world.participant.email, PASSWORD)
    expect(page.get_by_role("heading", name="Your cohorts")).to_be_visible()
    expect(page.get_by_text("study group Blue")).to_be_visible()


def test_it_refuses_a_wrong_password_and_keeps_the_email(page, world):
    sign_in(page, world.participant.email, "not-the-password")
    expect(page.get_by_text("not correct", exact=False)).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(world.participant.email)


def test_it_is_usable_on_a_phone(phone, world):
    sign_in(phone, world.manager.email, PASSWORD)
    expect(phone.get_by_role("heading", name="Acme Learning: all cohorts")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
