"""Discussion threads in Chromium: inline replies and reactions, comment forms and moderation on
demand (with and without JavaScript), "post before you see replies"."""

import uuid

import pytest
from playwright.sync_api import expect

from discussions import moderation, posting
from discussions.models import Post, Reaction
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


def _thread(world, *, post_first=False):
    thread = posting.thread_start(
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
    return posting.post_reply(
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
    useful = page.locator(f"#reactions-{reply.pk} button[value='useful']")
    expect(useful).to_have_attribute("aria-pressed", "false")
    useful.click()
    useful = page.locator(f"#reactions-{reply.pk} button[value='useful']")
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


def test_it_brings_a_comment_form_on_demand_and_comments_inline(page, world):
    thread = _thread(world)
    reply = _reply(thread, world.groupmate, "Blocking an hour for deep work.")
    url = f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(url)
    expect(page.get_by_label("Your comment")).to_have_count(0)
    page.locator(f"#post-{reply.pk}").get_by_role("button", name="Comment").click()
    comment = page.get_by_label("Your comment")
    # The form replaced the button and has the focus, so typing goes straight into it.
    expect(comment).to_be_focused()
    page.keyboard.type("Which hour works best?")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(f"#comments-{reply.pk}")).to_contain_text("Which hour works best?")
    assert page.url.endswith(url)
    assert Post.objects.get(parent=reply).author == world.participant


def test_it_toggles_a_reaction_twice_with_one_form_per_post(page, world):
    thread = _thread(world)
    reply = _reply(thread, world.groupmate, "Blocking an hour for deep work.")
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    reactions = page.locator(f"#reactions-{reply.pk}")
    expect(reactions.locator("form")).to_have_count(1)
    reactions.get_by_role("button", name="Like").click()
    expect(reactions.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    reactions.get_by_role("button", name="Learned something").click()
    learned = reactions.get_by_role("button", name="Learned something")
    expect(learned).to_have_attribute("aria-pressed", "true")
    # Taking one back leaves the other.
    reactions.get_by_role("button", name="Like").click()
    expect(reactions.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "false")
    expect(learned).to_have_attribute("aria-pressed", "true")
    kinds = Reaction.objects.filter(post=reply, user=world.participant).values_list("kind")
    assert list(kinds) == [("learned",)]
    # Answered in place: the address stays the thread's.
    assert page.url.endswith(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")


def test_it_brings_an_instructor_s_tools_on_demand(page, world):
    thread = _thread(world)
    reply = _reply(thread, world.groupmate, "Blocking an hour for deep work.")
    sign_in(page, world.instructor.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    post = page.locator(f"#post-{reply.pk}")
    expect(post.get_by_role("button", name="Endorse")).to_have_count(0)
    post.get_by_role("button", name="Moderate").click()
    tools = post.get_by_role("group", name="Moderate this post")
    expect(tools).to_be_focused()
    tools.get_by_role("button", name="Endorse").click()
    expect(page.locator(f"#post-{reply.pk}")).to_contain_text(
        f"Endorsed by {world.instructor.name}"
    )
    assert Post.objects.get(pk=reply.pk).endorsed_by == world.instructor


@pytest.fixture
def page_without_js(browser, live_server, settings):
    settings.SITE_URL = live_server.url
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_it_comments_and_reacts_without_javascript(page_without_js, world):
    page = page_without_js
    thread = _thread(world)
    reply = _reply(thread, world.groupmate, "Blocking an hour for deep work.")
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    page.locator(f"#post-{reply.pk}").get_by_role("button", name="Comment").click()
    # The comment form's own page, with the reply being answered.
    expect(page.get_by_role("heading", name="Comment")).to_be_visible()
    page.get_by_label("Your comment").fill("Mornings, before email.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator(f"#comments-{reply.pk}")).to_contain_text("Mornings, before email.")
    page.locator(f"#reactions-{reply.pk}").get_by_role("button", name="Useful").click()
    useful = page.locator(f"#reactions-{reply.pk}").get_by_role("button", name="Useful")
    expect(useful).to_have_attribute("aria-pressed", "true")
    assert Reaction.objects.filter(post=reply, user=world.participant, kind="useful").exists()


def test_it_cancels_a_flag_and_gives_the_flag_button_back(page, world):
    thread = _thread(world)
    reply = _reply(thread, world.groupmate, "Just do what I say.")
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    post = page.locator(f"#post-{reply.pk}")
    post.get_by_role("button", name="Flag").click()
    expect(post.get_by_role("button", name="Flag this post")).to_be_visible()
    post.get_by_role("link", name="Cancel").click()
    expect(post.get_by_role("button", name="Flag this post")).to_have_count(0)
    expect(post.get_by_role("button", name="Flag")).to_be_focused()
    assert page.url.endswith(f"/threads/{thread.pk}/")
    assert not reply.flags.exists()


def test_it_shows_a_restored_post_as_restored_when_the_moderator_goes_back(page, world):
    thread = _thread(world)
    reply = _reply(thread, world.participant, "Just do what I say.")
    for flagger in (world.groupmate, world.other_group_participant, world.manager):
        moderation.post_flag(post=reply, user=flagger, reason="Unkind or disrespectful")
    sign_in(page, world.instructor.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    post = page.locator(f"#post-{reply.pk}")
    expect(post).to_contain_text("Members see a placeholder until a moderator restores it.")
    post.get_by_role("link", name="Moderation queue").click()
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_text("The post is visible again")).to_be_visible()
    page.go_back()
    expect(page.locator(f"#post-{reply.pk}")).to_contain_text("Just do what I say.")
    expect(page.locator(f"#post-{reply.pk}")).not_to_contain_text("placeholder")
    expect(page.locator(f"#post-{reply.pk}")).not_to_contain_text("Hidden")

    # The author and the members see it as any other post again.
    page.context.clear_cookies()
    sign_in(page, world.participant.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/")
    expect(page.locator(f"#post-{reply.pk}")).not_to_contain_text("hidden")
