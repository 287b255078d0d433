from django.db.models import Count, Max, Q

from accounts.models import User
from cohorts.models import Cohort, Enrolment
from discussions.models import Flag, Post, PostKind, Prompt, Reaction, Thread
from discussions.rendering import post_html
from notifications.scheduling import DueStatus
from socialtraining import clock


def test_it_gives_every_cohort_a_conversation_with_articles_and_questions(demo):
    for cohort in Cohort.objects.filter(organization=demo):
        threads = Thread.objects.filter(cohort=cohort)
        kinds = set(threads.values_list("kind", flat=True))
        assert {PostKind.ARTICLE, PostKind.QUESTION} <= kinds, cohort.name
        assert Post.objects.filter(thread__cohort=cohort, kind=PostKind.REPLY).count() >= 8
        assert Reaction.objects.filter(post__thread__cohort=cohort).exists()
        if cohort.study_groups.exists():
            assert threads.filter(study_group__isnull=False).exists(), cohort.name


def test_it_has_participants_post_their_own_threads(demo):
    participants = User.objects.filter(enrolments__role="participant")
    assert Thread.objects.filter(cohort__organization=demo, author__in=participants).count() >= 3


def test_it_stores_every_post_s_html_as_the_services_do(demo):
    posts = Post.objects.filter(thread__cohort__organization=demo)
    assert not posts.filter(body_html="").exclude(body="").exists()
    for post in posts.exclude(body="")[:40]:
        assert post.body_html == post_html(post.body), post.pk


def test_it_keeps_every_post_in_the_past_and_every_counter_true(demo):
    now = clock.now()
    assert not Post.objects.filter(created_at__gt=now).exists()
    threads = Thread.objects.filter(cohort__organization=demo).annotate(
        post_rows=Count("posts", filter=Q(posts__is_opening=False), distinct=True),
        reactions=Count("posts__reactions", distinct=True),
        latest=Max("posts__created_at"),
    )
    for thread in threads:
        assert thread.reply_count == thread.post_rows, thread.title
        assert thread.reaction_count == thread.reactions, thread.title
        assert thread.last_activity_at == thread.latest, thread.title


def test_it_schedules_upcoming_prompts_and_releases_past_ones(demo):
    now = clock.now()
    before_class = Cohort.objects.get(organization=demo, name="Giving feedback that lands")
    upcoming = Prompt.objects.filter(cohort=before_class, status=DueStatus.PENDING)
    assert upcoming.count() == 2
    assert all(prompt.due_at > now for prompt in upcoming)
    released = Prompt.objects.filter(cohort__organization=demo, status=DueStatus.DONE)
    assert released.exists()
    assert not released.filter(threads__isnull=True).exists()


def test_it_leaves_one_flagged_reply_for_the_instructors(demo):
    flag = Flag.objects.get(post__thread__cohort__organization=demo)
    assert flag.resolved_at is None
    assert flag.user_id != flag.post.author_id


def test_it_shows_the_demo_participant_their_group_and_hides_the_others(client, demo):
    participant = User.objects.get(email="participant@demo.test")
    enrolment = Enrolment.objects.get(user=participant)
    own = Thread.objects.get(cohort=enrolment.cohort, study_group=enrolment.study_group)
    other = Thread.objects.filter(cohort=enrolment.cohort, study_group__isnull=False).exclude(
        study_group=enrolment.study_group
    )[0]
    client.force_login(participant)
    cohort = enrolment.cohort.pk
    response = client.get(f"/cohorts/{cohort}/discussions/")
    assert "Which team ritual will you change first" in response.text
    assert client.get(f"/cohorts/{cohort}/threads/{own.pk}/").status_code == 200
    assert client.get(f"/cohorts/{cohort}/threads/{other.pk}/").status_code == 404
