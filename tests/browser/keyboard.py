"""Moving through a page with the keyboard only, as a person without a mouse does."""

from playwright.sync_api import Locator, Page


def focused(locator: Locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page: Page, locator: Locator, *, limit: int = 80) -> int:
    """Press Tab until `locator` has focus; return how many presses it took."""
    locator.wait_for(state="attached")
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused(locator):
            return presses
    active = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"{limit} Tab presses never reached {locator}; focus is on {active}")


def focus_description(page: Page) -> str:
    """The focused element, briefly, for assertion messages."""
    return page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
