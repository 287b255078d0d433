"""The scaled seed's activity (demo/scale.py) at a small scale: four cohorts, one in each phase."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Avg, F, OuterRef, Subquery
from django.urls import reverse

from accounts.models import Organization, User
from cohorts.models import Cohort, Enrolment
from demo import bench_seed, scale, scale_plan, seeding
from discussions.models import Post, PostKind, Reaction, Thread
from discussions.posting import threads_recount
from discussions.rendering import post_html
from notifications.scheduling import DueStatus
from socialtraining import clock
from sparks.models import Delivery, DeliveryOutcome, DeliveryStep, SparkAnswer
from surveys.models import Answer, Purpose, Response, ResponseStatus, Round, RoundEvent
from tests.conftest import rows_kept

SCALE = 400
KINDS = ("posts", "reactions", "spark deliveries", "spark answers", "survey responses")


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def bench(django_db_setup, django_db_blocker):
    """One seed for the module's read-only tests (a seed at 400 takes seconds), rolled back after
    the module."""
    with rows_kept(django_db_blocker, "bench"):
        output = seed("--scale", str(SCALE))
        yield Organization.objects.get(slug=seeding.BENCH_SLUG), output


def scaled_activity(org: Organization) -> dict[str, int]:
    """The activity the scaled seed wrote, without the fixed benchmark fixtures (the busy thread
    space's 'Benchmark thread' rows and the organisation-wide refresher round)."""
    posts = Post.objects.filter(thread__cohort__organization=org).exclude(
        thread__title__startswith="Benchmark thread"
    )
    return {
        "posts": posts.count(),
        "reactions": Reaction.objects.filter(post__in=posts).count(),
        "spark deliveries": Delivery.objects.filter(spark__cohort__organization=org).count(),
        "spark answers": SparkAnswer.objects.filter(
            delivery__spark__cohort__organization=org
        ).count(),
        "survey responses": Response.objects.filter(round__cohort__organization=org)
        .exclude(round__cohort__name=bench_seed.BENCH_SURVEY_COHORT)
        .count(),
    }


@pytest.mark.django_db
def test_it_writes_about_forty_activity_records_per_participant_of_every_kind(bench):
    org, output = bench
    counts = scaled_activity(org)
    total = sum(counts.values())
    assert 36 * SCALE <= total <= 44 * SCALE, counts
    # No kind is a token few: each is at least 5% of the whole.
    assert all(n >= total * 0.05 for n in counts.values()), counts
    # The printed total is the database's, fixtures included.
    assert f"{scale.activity_records_count(organization=org)} activity records" in output
    assert f"{total} scaled activity records" in output


@pytest.mark.django_db
def test_it_stores_every_post_s_html_as_the_services_do(bench):
    org, _ = bench
    posts = Post.objects.filter(thread__cohort__organization=org)
    assert not posts.filter(body_html="").exclude(body="").exists()
    for body, html in posts.values_list("body", "body_html").distinct()[:50]:
        assert html == post_html(body)


@pytest.mark.django_db
def test_it_puts_posts_in_all_four_channels(bench):
    org, _ = bench
    posts = Post.objects.filter(thread__cohort__organization=org).select_related("thread")
    channels = {post.channel for post in posts.exclude(thread__title__startswith="Benchmark")}
    assert channels == {"research", "creating", "communication", "collaboration"}
    assert posts.filter(kind=PostKind.COMMENT, parent__isnull=False).exists()


@pytest.mark.django_db
def test_it_has_a_cohort_in_every_phase(bench):
    org, _ = bench
    cohorts = Cohort.objects.filter(organization=org).exclude(name=bench_seed.BENCH_SURVEY_COHORT)
    assert sorted(c.phase for c in cohorts) == ["after", "before", "completed", "workshop"]


@pytest.mark.django_db
def test_it_delivers_sparks_answered_missed_and_repeated(bench):
    org, _ = bench
    deliveries = Delivery.objects.filter(spark__cohort__organization=org)
    assert deliveries.filter(outcome=DeliveryOutcome.ANSWERED).exists()
    assert deliveries.filter(outcome=DeliveryOutcome.MISSED).exists()
    assert deliveries.filter(attempt__gt=1).exists()
    answers = SparkAnswer.objects.filter(delivery__in=deliveries)
    assert answers.filter(is_correct=True).exists() and answers.filter(is_correct=False).exists()
    # Due rows as the dispatcher leaves them.
    done = deliveries.filter(status=DueStatus.DONE)
    assert not done.filter(outcome=DeliveryOutcome.WAITING).exists()
    assert not done.filter(closed_at__isnull=True).exists()
    assert not deliveries.exclude(step=DeliveryStep.SEND).filter(sent_at__isnull=True).exists()
    assert (
        not deliveries.filter(status=DueStatus.PENDING)
        .exclude(outcome=DeliveryOutcome.WAITING)
        .exists()
    )
    assert answers.count() == deliveries.filter(outcome=DeliveryOutcome.ANSWERED).count()
    # Each answer is posted in its spark's thread, with the key spark_answer would give it.
    assert not answers.filter(post__isnull=True).exists()
    for answer in answers.select_related("post")[:50]:
        assert answer.post.idempotency_key == f"spark-answer:{answer.delivery_id}"


@pytest.mark.django_db
def test_it_runs_the_survey_rounds_and_knowledge_falls_then_steadies(bench):
    org, _ = bench
    completed = next(
        c for c in Cohort.objects.filter(organization=org).order_by("pk") if c.phase == "completed"
    )
    rounds = Round.objects.filter(cohort=completed)
    assert set(rounds.values_list("survey__purpose", flat=True)) == {
        Purpose.REACTION,
        Purpose.KNOWLEDGE,
        Purpose.BEHAVIOUR,
    }
    # One version of each survey per cohort: every round's answers keep their meaning.
    assert set(rounds.values_list("survey__version", flat=True)) == {1}
    assert RoundEvent.objects.filter(round__in=rounds).count() == 3 * rounds.count()
    scores = dict(
        rounds.filter(survey__purpose=Purpose.KNOWLEDGE)
        .annotate(mean=Avg(F("responses__score") * 1.0 / F("responses__max_score")))
        .values_list("label", "mean")
    )
    assert scores["Before the workshop"] < scores["Right after"]
    assert scores["Right after"] - 0.1 > scores["+30 days"]
    assert abs(scores["+90 days"] - scores["+60 days"]) < 0.12
    nps = Response.objects.filter(round__in=rounds, round__survey__purpose=Purpose.REACTION)
    assert nps.filter(answers__question__kind="nps", answers__number__isnull=False).exists()
    submitted = Response.objects.filter(round__cohort__organization=org)
    assert not submitted.exclude(status=ResponseStatus.SUBMITTED).exists()
    assert not submitted.filter(submitted_at__lt=F("round__opens_at")).exists()
    assert not submitted.filter(submitted_at__gt=F("round__closes_at")).exists()


@pytest.mark.django_db
def test_it_writes_activity_after_the_enrolment_and_before_now(bench):
    org, _ = bench
    now = clock.now()
    enrolled = Enrolment.objects.filter(
        cohort=OuterRef("thread__cohort"), user=OuterRef("author")
    ).values("created_at")
    posts = Post.objects.filter(thread__cohort__organization=org).annotate(
        enrolled_at=Subquery(enrolled)
    )
    scaled = posts.exclude(thread__title__startswith="Benchmark thread")
    assert scaled.exists()
    assert not scaled.filter(created_at__lt=F("enrolled_at")).exists()
    assert not posts.filter(created_at__gt=now).exists()
    assert not Reaction.objects.filter(created_at__lt=F("post__created_at")).exists()
    people = User.objects.filter(enrolments__cohort__organization=org)
    assert not people.filter(date_joined__gt=F("enrolments__created_at")).exists()
    # The denormalised counters match the rows.
    for thread in Thread.objects.filter(cohort__organization=org).order_by("?")[:30]:
        assert thread.reply_count == thread.posts.filter(is_opening=False).count()
        reactions = Reaction.objects.filter(post__thread=thread).count()
        assert thread.reaction_count == reactions


@pytest.mark.django_db
def test_it_sets_every_thread_s_counters_as_threads_recount_does(bench):
    org, _ = bench
    threads = Thread.objects.filter(cohort__organization=org).order_by("pk")
    fields = ("pk", "reply_count", "reaction_count", "last_activity_at")
    written = list(threads.values_list(*fields))
    threads_recount(thread_ids=[pk for pk, *_ in written])
    assert list(threads.values_list(*fields)) == written


@pytest.mark.django_db
def test_it_writes_every_foreign_key_to_a_row_and_checks_keys_again_after(bench):
    """The seed skips the foreign-key triggers while it writes (PostgreSQL): every key it wrote
    must still name a row, and the session checks keys again once it is done."""
    for model in (Post, Reaction, Delivery, SparkAnswer, Response, Answer, RoundEvent, Thread):
        for field in model._meta.concrete_fields:
            if field.is_relation:
                dangling = model.objects.filter(**{f"{field.attname}__isnull": False}).exclude(
                    **{f"{field.name}__in": field.related_model.objects.all()}
                )
                assert not dangling.exists(), (model.__name__, field.name)
    for through in (Answer.choices.through, SparkAnswer.choices.through):
        for field in through._meta.concrete_fields:
            if field.is_relation:
                assert not through.objects.exclude(
                    **{f"{field.name}__in": field.related_model.objects.all()}
                ).exists(), (through.__name__, field.name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('session_replication_role')")
        assert cursor.fetchone()[0] == "origin"


@pytest.mark.django_db
def test_it_leaves_pages_that_work_for_the_manager(client, bench):
    org, _ = bench
    client.force_login(User.objects.get(email=seeding.BENCH_MANAGER))
    after = next(c for c in Cohort.objects.filter(organization=org) if c.phase == "after")
    group_thread = Thread.objects.filter(cohort=after, study_group__isnull=False).first()
    knowledge = Round.objects.filter(cohort=after, survey__purpose=Purpose.KNOWLEDGE).first()
    for url in (
        reverse("discussions:feed", args=[after.pk]),
        reverse("discussions:group_feed", args=[after.pk, group_thread.study_group_id]),
        reverse("discussions:thread", args=[after.pk, group_thread.pk]),
        reverse("surveys:results", args=[after.pk, knowledge.pk]),
        reverse("surveys:retention", args=[after.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_its_rows_are_built_as_the_model_builds_them():
    """`scale_plan.row` skips `Model.__init__` for speed: the instance must be the same."""
    now = clock.now()
    thread = Thread(pk=7, cohort_id=3, author_id=5, title="A thread")
    unsaved = Thread(cohort_id=3, author_id=5, title="Unsaved")
    cases = [
        (Post, {"thread": thread, "author_id": 5, "kind": PostKind.REPLY, "body": "Hi"}),
        (Post, {"thread": unsaved, "author_id": 5, "created_at": now, "parent": None}),
        (Reaction, {"post": Post(pk=9), "user_id": 5, "kind": "like", "created_at": now}),
        (Delivery, {"spark_id": 2, "participant_id": 5, "attempt": 2, "sent_at": now}),
        (Response, {"round_id": 4, "participant_id": 5, "score": 2, "submitted_at": now}),
    ]
    with clock.frozen_at(now):
        for model, values in cases:
            built, made = model(**values), scale_plan.row(model, **values)
            assert {k: v for k, v in vars(made).items() if k != "_state"} == {
                k: v for k, v in vars(built).items() if k != "_state"
            }, model
            assert made._state.adding and made._state.fields_cache == built._state.fields_cache
    assert scale_plan.row(Post, thread=unsaved).thread is unsaved
    with pytest.raises(TypeError):
        scale_plan.row(Post, no_such_field=1)
