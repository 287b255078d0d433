"""Discussion threads in Chromium: inline replies and reactions, "post before you see replies"."""

import uuid

from playwright.sync_api import expect

from discussions import services
from discussions.models import Post, Reaction
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


def _thread(world, *, post_first=False):
    thread = services.thread_start(
        cohort=world.cohort,
        study_group=None,
        author=world.instructor,
        kind="question",
        title="What will you try on Monday?",
        body="One small change.",
        idempotency_key=uuid.uuid4().hex,
    )
    if post_first:
        thread.post_first = True
        thread.save(update_fields=["post_first"])
    return thread


def _reply(thread, author, body):
    return services.post_reply(
        thread=thread, author=author, body=body, idempotency_key=uuid.uuid4().hex
    )


def test_it_shows_an_inline_reply_without_a_reload(page, world):
    thread = _thread(world)
    url = f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(url)
    page.get_by_label("Your reply").fill("I will ask before I answer.")
    page.get_by_role("button", name="Post reply").click()

    expect(page.locator("#replies")).to_contain_text("I will ask before I answer.")
    # Still the same page (the no-JavaScript fallback would redirect to ?page=1#post-…), and
    # the form is cleared for the next reply.
    expect(page.get_by_label("Your reply")).to_have_value("")
    assert page.url.endswith(url)
    assert Post.objects.filter(thread=thread, is_opening=False).count() == 1


def test_it_toggles_a_reaction_inline(page, world):
    thread = _thread(world)
    reply = _reply(thread, world.groupmate, "Blocking an hour for deep work.")
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    useful = page.locator(f"#reactions-{reply.pk} button[data-reaction='useful']")
    expect(useful).to_have_attribute("aria-pressed", "false")
    useful.click()
    useful = page.locator(f"#reactions-{reply.pk} button[data-reaction='useful']")
    expect(useful).to_have_attribute("aria-pressed", "true")
    expect(useful).to_contain_text("1")
    assert Reaction.objects.filter(post=reply, user=world.participant, kind="useful").exists()


def test_it_hides_peers_until_the_participant_posts(page, world):
    thread = _thread(world, post_first=True)
    _reply(thread, world.groupmate, "Groupmate's honest answer")
    _reply(thread, world.other_group_participant, "Another peer's answer")
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    expect(page.locator("#replies-hidden")).to_contain_text(
        "2 replies are hidden until you post yours."
    )
    expect(page.get_by_text("Groupmate's honest answer")).to_have_count(0)

    page.get_by_label("Your reply").fill("My own answer first")
    page.get_by_role("button", name="Post reply").click()
    replies = page.locator("#replies")
    expect(replies).to_contain_text("Groupmate's honest answer")
    expect(replies).to_contain_text("Another peer's answer")
    expect(replies).to_contain_text("My own answer first")
    expect(page.locator("#replies-hidden")).to_have_count(0)
