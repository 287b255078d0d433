"""Every main page of every role at 390 px: nothing is wider than the phone's screen.

The pages are the accessibility test's (the demo organisation, tests/browser/demo_pages.py). A
page that scrolls sideways, or an element that reaches past the screen's right edge (a table, a
form, a long word), fails with the page, the element and its width.
"""

import pytest

from demo.seeding import PASSWORD
from tests.browser.conftest import sign_in
from tests.browser.demo_pages import EMAILS, settled

PHONE = {"width": 390, "height": 844}

# Elements reaching past the right edge, outside anything visually hidden; at most a few each.
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) {
    found.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  }
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= width + 1) continue;
    if (el.closest(".visually-hidden, .skip-link, [hidden], thead")) continue;
    const style = getComputedStyle(el);
    if (style.position === "absolute" && style.clipPath !== "none") continue;
    const classes = typeof el.className === "string" && el.className ? "." + el.className : "";
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes;
    found.push(`${name} reaches ${Math.round(box.right)} px`);
    if (found.length > 5) break;
  }
  return found;
}"""


# One test per role, so pytest-xdist spreads the pages over its workers.
@pytest.mark.parametrize("email", EMAILS, ids=lambda email: email.split("@")[0])
def test_no_main_page_of_any_role_is_wider_than_a_phone(browser, live_server, demo_pages, email):
    role = email.split("@")[0]
    wide: list[str] = []
    checked = 0
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, email, PASSWORD)
        for visited in demo_pages[email]:
            response = page.goto(visited.url)
            assert response.status == 200, (role, visited.name, response.status)
            settled(page)
            if visited.then:
                visited.then(page)
            checked += 1
            wide += [f"{role} · {visited.name}: {what}" for what in page.evaluate(TOO_WIDE)]
    finally:
        context.close()
    print(f"{checked} pages checked at 390 px")
    assert checked == len(demo_pages[email])
    assert wide == []
