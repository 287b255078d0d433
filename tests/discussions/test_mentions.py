"""@mentions: resolved only among people who see the thread, stored, notified once, highlighted."""

from datetime import timedelta

from discussions.models import Mention, Post
from notifications.models import EmailMode, Notification, NotificationPreference, OutboxMessage
from socialtraining import clock

HTMX = {"HX-Request": "true"}


def _name(user, name):
    user.display_name = name
    user.save(update_fields=["display_name"])
    return user


def _reply(client, world, thread, body, key="k1"):
    return client.post(
        f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/reply/",
        {"body": body, "idempotency_key": key},
    )


def test_it_notifies_a_mentioned_member_in_app_and_by_email(world, client_for, thread, deliver):
    ana = _name(world.groupmate, "Ana Lima")
    _reply(client_for(world.participant), world, thread, "Thanks @[Ana Lima], and **you**.")
    deliver()
    post = Post.objects.get(thread=thread, is_opening=False)
    assert list(Mention.objects.filter(post=post).values_list("user", flat=True)) == [ana.pk]
    notification = Notification.objects.get(user=ana, key=f"mention:{post.pk}")
    assert "mentioned you" in notification.title
    email = OutboxMessage.objects.get(to_email=ana.email, subject__contains="mentioned")
    # The excerpt as a reader sees it: no Markdown, no mention syntax.
    assert "Thanks @Ana Lima, and you." in email.content()["body_text"]


def test_it_matches_names_case_insensitively_and_once_per_post(world, client_for, thread, deliver):
    ana = _name(world.groupmate, "Ana Lima")
    _reply(client_for(world.participant), world, thread, "@[ana lima] @[Ana Lima] @[ANA LIMA]")
    deliver()
    assert Mention.objects.filter(user=ana).count() == 1
    assert Notification.objects.filter(user=ana, key__startswith="mention:").count() == 1


def test_it_never_resolves_anyone_outside_a_study_group_space(
    world, client_for, start_thread, deliver
):
    thread = start_thread(author=world.participant, study_group=world.group, title="Blue only")
    green = _name(world.other_group_participant, "Gil Green")
    elsewhere = _name(world.other_cohort_participant, "Eve Elsewhere")
    instructor = _name(world.instructor, "Ines Instructor")
    manager = _name(world.manager, "Max Manager")
    body = "@[Gil Green] @[Eve Elsewhere] @[Ines Instructor] @[Max Manager]"
    _reply(client_for(world.groupmate), world, thread, body)
    deliver()
    mentioned = set(Mention.objects.values_list("user", flat=True))
    assert mentioned == {instructor.pk, manager.pk}
    assert not Notification.objects.filter(user__in=[green, elsewhere]).exists()
    assert not OutboxMessage.objects.filter(to_email__in=[green.email, elsewhere.email]).exists()


def test_it_highlights_only_real_mentions_after_sanitising(world, client_for, thread):
    _name(world.groupmate, "Ana Lima")
    client = client_for(world.participant)
    _reply(client, world, thread, "Hi @[Ana Lima] and @[Nobody Here] `@[Ana Lima]`")
    body = client.get(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/").content.decode()
    assert '<span class="mention">@Ana Lima</span>' in body
    assert "@[Nobody Here]" in body
    # Code stays code.
    assert "<code>@[Ana Lima]</code>" in body


def test_it_keeps_a_hostile_display_name_inert(world, client_for, thread):
    _name(world.groupmate, '<img src=x onerror=alert(1)>"')
    client = client_for(world.participant)
    _reply(client, world, thread, 'Hey @[<img src=x onerror=alert(1)>"] [t](https://x.test "@[a]")')
    body = client.get(f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/").content.decode()
    assert "<img" not in body.split('id="replies"')[1]


def test_it_notifies_only_the_person_an_edit_adds(world, client_for, thread, reply_to, deliver):
    ana = _name(world.groupmate, "Ana Lima")
    ines = _name(world.instructor, "Ines Instructor")
    post = reply_to(thread, body="Thanks @[Ana Lima]")
    deliver()
    client = client_for(world.participant)
    url = f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/posts/{post.pk}/edit/"
    client.post(url, {"body": "Thanks @[Ana Lima] and @[Ines Instructor]"})
    assert Notification.objects.filter(user=ana, key=f"mention:{post.pk}").count() == 1
    assert Notification.objects.filter(user=ines, key=f"mention:{post.pk}").count() == 1
    # Dropping a mention drops its row (no highlight); adding it back notifies no one again.
    client.post(url, {"body": "Thanks all"})
    assert not Mention.objects.filter(post=post).exists()
    client.post(url, {"body": "Thanks @[Ana Lima]"})
    assert Notification.objects.filter(user=ana, key=f"mention:{post.pk}").count() == 1


def test_it_sends_no_mention_email_when_switched_off(world, client_for, thread, deliver):
    ana = _name(world.groupmate, "Ana Lima")
    NotificationPreference.objects.create(user=ana, mention_email=EmailMode.NEVER)
    _reply(client_for(world.participant), world, thread, "@[Ana Lima]")
    deliver()
    assert Notification.objects.filter(user=ana, key__startswith="mention:").exists()
    assert not OutboxMessage.objects.filter(to_email=ana.email).exists()


def test_it_mentions_from_a_new_thread(world, client_for, deliver):
    ana = _name(world.groupmate, "Ana Lima")
    client_for(world.participant).post(
        f"/cohorts/{world.cohort.pk}/discussions/new/",
        {
            "kind": "discussion",
            "title": "Hello",
            "body": "@[Ana Lima] look",
            "idempotency_key": "t",
        },
    )
    deliver()
    assert Notification.objects.filter(user=ana, key__startswith="mention:").exists()


def test_it_does_not_notify_the_author_of_their_own_mention(world, client_for, thread):
    me = _name(world.participant, "Pat Participant")
    _reply(client_for(me), world, thread, "@[Pat Participant]")
    assert not Mention.objects.exists()
    assert not Notification.objects.filter(user=me).exists()


def test_it_cannot_edit_in_mentions_after_the_window(world, client_for, thread, reply_to):
    ana = _name(world.groupmate, "Ana Lima")
    post = reply_to(thread, body="Hello")
    Post.objects.filter(pk=post.pk).update(created_at=clock.now() - timedelta(days=1))
    client_for(world.participant).post(
        f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/posts/{post.pk}/edit/",
        {"body": "@[Ana Lima]"},
    )
    assert not Notification.objects.filter(user=ana).exists()


def test_it_notifies_a_mentioned_follower_once(world, client_for, thread, deliver):
    ana = _name(world.groupmate, "Ana Lima")
    _reply(client_for(ana), world, thread, "I follow this now.", key="ana")
    _reply(client_for(world.participant), world, thread, "What do you think, @[Ana Lima]?")
    deliver()
    post = Post.objects.filter(thread=thread, author=world.participant).get()
    assert list(Notification.objects.filter(user=ana).values_list("key", flat=True)) == [
        f"mention:{post.pk}"
    ]
    assert OutboxMessage.objects.filter(to_email=ana.email).count() == 1
