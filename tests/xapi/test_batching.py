from datetime import timedelta

import pytest

from discussions.models import Post, Reaction, Thread
from socialtraining import clock
from sparks.models import Delivery, Spark, SparkAnswer, SparkChoice, SparkKind
from surveys.models import Response, ResponseStatus, Round, RoundStatus, Survey
from xapi.models import Source
from xapi.statements import SOURCES, Position, source_rows, statements_for_rows, statements_iter


def _activity(world, n: int) -> None:
    """n rows of every source, written in bulk."""
    cohort, people = world.cohort, [world.participant, world.groupmate, world.instructor]
    thread = Thread.objects.create(cohort=cohort, author=world.instructor, title="Busy")
    posts = Post.objects.bulk_create(
        Post(thread=thread, author=people[i % 3], kind="reply", body=f"Reply {i}") for i in range(n)
    )
    Reaction.objects.bulk_create(
        Reaction(post=post, user=world.other_group_participant, kind="like") for post in posts
    )
    now = clock.now()
    for i in range(n):
        spark = Spark.objects.create(
            cohort=cohort, kind=SparkKind.KNOWLEDGE, question=f"Q{i}", offset_days=i
        )
        choice = SparkChoice.objects.create(spark=spark, text="Yes", is_correct=True)
        SparkChoice.objects.create(spark=spark, text="No")
        delivery = Delivery.objects.create(
            spark=spark, participant=world.participant, sent_at=now, due_at=now
        )
        answer = SparkAnswer.objects.create(delivery=delivery, is_correct=True, confidence=3)
        answer.choices.set([choice])
        round_ = Round.objects.create(
            survey=Survey.objects.create(cohort=cohort, title=f"S{i}"),
            cohort=cohort,
            label="Later",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
            status=RoundStatus.OPEN,
        )
        Response.objects.create(
            round=round_,
            participant=world.participant,
            status=ResponseStatus.SUBMITTED,
            submitted_at=now,
            score=1,
            max_score=2,
        )


# Posts, reactions and responses take one query a batch; spark answers three (two prefetches).
QUERIES_PER_BATCH = {
    Source.POSTS: 1,
    Source.REACTIONS: 1,
    Source.SPARK_ANSWERS: 3,
    Source.SURVEY_RESPONSES: 1,
}


@pytest.mark.parametrize("n", [3, 25])
@pytest.mark.parametrize("source", list(SOURCES))
def test_it_builds_a_batch_in_a_fixed_number_of_queries(
    world, n, source, django_assert_max_num_queries
):
    _activity(world, n)
    with django_assert_max_num_queries(QUERIES_PER_BATCH[source]):
        rows = source_rows(source, organization_id=world.organization.pk, limit=100)
        statements = statements_for_rows(source, rows)
    assert len(statements) == n


@pytest.mark.parametrize("n", [4, 12])
def test_it_reads_a_whole_organisation_in_bounded_batches(world, n, django_assert_max_num_queries):
    _activity(world, n)
    batch = 4
    # Each source: n / batch full batches, then one that comes back short (or empty).
    batches = n // batch + 1
    with django_assert_max_num_queries(batches * sum(QUERIES_PER_BATCH.values())):
        statements = list(statements_iter(organization_id=world.organization.pk, batch_size=batch))
    assert len(statements) == 4 * n
    assert len({s["id"] for s in statements}) == 4 * n


def test_it_continues_after_a_position_without_repeating_or_skipping(world):
    _activity(world, 5)
    seen, after = [], Position()
    while rows := source_rows(
        Source.SURVEY_RESPONSES, organization_id=world.organization.pk, after=after, limit=2
    ):
        assert len(rows) <= 2
        seen += [row.pk for row in rows]
        after = Position(pk=rows[-1].pk, at=rows[-1].submitted_at)
    assert sorted(seen) == sorted(Response.objects.values_list("pk", flat=True))


def test_it_stops_a_batch_at_the_first_row_too_recent_to_be_settled(world, settings):
    settings.POST_EDIT_WINDOW_MINUTES = 0
    _activity(world, 3)
    posts = list(Post.objects.order_by("pk"))
    Post.objects.filter(pk=posts[1].pk).update(created_at=clock.now() + timedelta(minutes=5))
    rows = source_rows(
        Source.POSTS, organization_id=world.organization.pk, settled_before=clock.now()
    )
    # The third post is settled, but the cursor must not pass the second before it is.
    assert [row.pk for row in rows] == [posts[0].pk]
