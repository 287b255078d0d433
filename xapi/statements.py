"""xAPI 1.0.3 statements built from the platform's activity, in bounded batches.

Each source (posts, reactions, spark answers, survey responses) is read in keyset batches with a
fixed number of queries per batch, so an organisation's whole history is never in memory. A
statement's id is a uuid5 of its kind and row, so sending it again is idempotent at the LRS.

What is left out, and why:
- removed and hidden posts (their authors or moderators took them down) and posts by deleted
  accounts (no one to name as the actor);
- the post a spark answer makes in its thread: the answer is already an `answered` statement;
- responses to anonymous surveys: a statement names its actor, and the survey promised not to.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.crypto import salted_hmac

from discussions.models import Post, PostKind, Reaction
from sparks.models import SparkAnswer, SparkKind
from surveys.models import Purpose, Response, ResponseStatus
from xapi.models import Source

XAPI_VERSION = "1.0.3"
LANGUAGE = "en-GB"
BATCH_SIZE = 500

VERBS = {
    "shared": "http://adlnet.gov/expapi/verbs/shared",
    "commented": "http://adlnet.gov/expapi/verbs/commented",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    # ADL's own vocabulary has no "liked"; the xAPI registry takes it from Activity Streams.
    "liked": "http://activitystrea.ms/schema/1.0/like",
}
ACTIVITY_TYPES = {
    "cohort": "http://adlnet.gov/expapi/activities/course",
    "article": "http://adlnet.gov/expapi/activities/link",
    "discussion": "http://id.tincanapi.com/activitytype/discussion",
    "post": "http://activitystrea.ms/schema/1.0/comment",
    "interaction": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "survey": "http://id.tincanapi.com/activitytype/survey",
}


@dataclass(frozen=True)
class Position:
    """Where a keyset batch starts after: the last row's primary key (and time, where ordered)."""

    pk: int = 0
    at: datetime | None = None


def _base() -> str:
    return settings.SITE_URL


def extension(name: str) -> str:
    return f"{_base()}/xapi/extensions/{name}"


def activity_id(kind: str, pk: int) -> str:
    # Our own IRIs, independent of page routes, so a renamed URL never changes an activity.
    return f"{_base()}/xapi/activities/{kind}/{pk}"


def statement_id(kind: str, pk: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{_base()}/xapi/statements/{kind}/{pk}"))


def actor_name(user_id: int) -> str:
    """A stable opaque name for a person: no email, no display name, no guessable primary key."""
    secret = settings.XAPI_ACTOR_SECRET or settings.SECRET_KEY
    return salted_hmac("xapi.actor", str(user_id), secret=secret, algorithm="sha256").hexdigest()[
        :32
    ]


def _actor(user_id: int) -> dict:
    return {"objectType": "Agent", "account": {"homePage": _base(), "name": actor_name(user_id)}}


def _verb(name: str) -> dict:
    return {"id": VERBS[name], "display": {LANGUAGE: name}}


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _name(text: str) -> dict:
    return {LANGUAGE: text}


def _activity(kind: str, pk: int, definition: dict) -> dict:
    return {"objectType": "Activity", "id": activity_id(kind, pk), "definition": definition}


def _cohort_activity(cohort) -> dict:
    return _activity(
        "cohort",
        cohort.pk,
        {
            "name": _name(cohort.name),
            "type": ACTIVITY_TYPES["cohort"],
            "moreInfo": _base() + reverse("cohorts:detail", args=[cohort.pk]),
        },
    )


def _thread_activity(thread) -> dict:
    is_article = thread.kind == PostKind.ARTICLE
    page = _base() + reverse("discussions:thread", args=[thread.cohort_id, thread.pk])
    return _activity(
        "thread",
        thread.pk,
        {
            "name": _name(thread.title),
            "type": ACTIVITY_TYPES["article" if is_article else "discussion"],
            "moreInfo": (thread.url if is_article and thread.url else page),
        },
    )


def _statement(kind: str, pk: int, **parts) -> dict:
    return {"id": statement_id(kind, pk), **parts}


def post_statement(post: Post) -> dict:
    thread = post.thread
    shared = post.is_opening and post.kind == PostKind.ARTICLE
    return _statement(
        "post",
        post.pk,
        actor=_actor(post.author_id),
        verb=_verb("shared" if shared else "commented"),
        object=_thread_activity(thread),
        result={"response": post.body},
        timestamp=_timestamp(post.created_at),
        context={
            "contextActivities": {"grouping": [_cohort_activity(thread.cohort)]},
            "extensions": {extension("channel"): str(post.channel)},
        },
    )


def reaction_statement(reaction: Reaction) -> dict:
    post = reaction.post
    return _statement(
        "reaction",
        reaction.pk,
        actor=_actor(reaction.user_id),
        verb=_verb("liked"),
        object=_activity(
            "post",
            post.pk,
            {"name": _name(f"A post in “{post.thread.title}”"), "type": ACTIVITY_TYPES["post"]},
        ),
        timestamp=_timestamp(reaction.created_at),
        context={
            "contextActivities": {
                "parent": [_thread_activity(post.thread)],
                "grouping": [_cohort_activity(post.thread.cohort)],
            },
            "extensions": {extension("reaction"): reaction.kind},
        },
    )


def _choice_id(choice) -> str:
    return f"choice-{choice.pk}"


def spark_answer_statement(answer: SparkAnswer) -> dict:
    delivery = answer.delivery
    spark = delivery.spark
    definition = {"name": _name(spark.question), "type": ACTIVITY_TYPES["interaction"]}
    result: dict = {}
    if spark.kind == SparkKind.KNOWLEDGE:
        choices = list(spark.choices.all())
        definition |= {
            "interactionType": "choice",
            "choices": [{"id": _choice_id(c), "description": _name(c.text)} for c in choices],
            "correctResponsesPattern": ["[,]".join(_choice_id(c) for c in choices if c.is_correct)],
        }
        result["response"] = "[,]".join(_choice_id(c) for c in answer.choices.all())
        if answer.is_correct is not None:
            result["success"] = answer.is_correct
    else:
        definition["interactionType"] = "long-fill-in"
        result["response"] = answer.text
    if answer.confidence is not None:
        result["extensions"] = {extension("confidence"): answer.confidence}
    return _statement(
        "spark-answer",
        answer.pk,
        actor=_actor(delivery.participant_id),
        verb=_verb("answered"),
        object=_activity("spark", spark.pk, definition),
        result=result,
        timestamp=_timestamp(answer.created_at),
        context={
            "contextActivities": {"grouping": [_cohort_activity(spark.cohort)]},
            "extensions": {extension("attempt"): delivery.attempt},
        },
    )


def survey_response_statement(response: Response) -> dict:
    round_ = response.round
    survey = round_.survey
    result: dict = {"completion": True}
    if response.max_score and response.score is not None:
        result["score"] = {
            "raw": response.score,
            "min": 0,
            "max": response.max_score,
            "scaled": round(response.score / response.max_score, 4),
        }
    kind = "assessment" if survey.purpose == Purpose.KNOWLEDGE else "survey"
    return _statement(
        "survey-response",
        response.pk,
        actor=_actor(response.participant_id),
        verb=_verb("completed"),
        object=_activity(
            "survey-round",
            round_.pk,
            {"name": _name(f"{survey} · {round_.label}"), "type": ACTIVITY_TYPES[kind]},
        ),
        result=result,
        timestamp=_timestamp(response.submitted_at),
        context={"contextActivities": {"grouping": [_cohort_activity(round_.cohort)]}},
    )


@dataclass(frozen=True)
class SourceSpec:
    rows: Callable[[], QuerySet]
    cohort_path: str  # lookup from the row to its cohort
    build: Callable[[object], dict]
    # None: ordered by primary key (rows written once); else ordered by (this field, pk).
    order_field: str | None
    # The row's time, for leaving out rows too recent to be sure every earlier one committed.
    time_field: str
    # Authors may still edit the row for this long: its statement waits for the final text.
    editable_for: Callable[[], timedelta] = lambda: timedelta(0)


def _posts() -> QuerySet:
    spark_answer_posts = SparkAnswer.objects.filter(post=OuterRef("pk"))
    return (
        Post.objects.filter(removed_at__isnull=True, hidden_at__isnull=True, author__isnull=False)
        .filter(~Exists(spark_answer_posts))
        .select_related("thread__cohort")
    )


def _reactions() -> QuerySet:
    # A reaction to a removed or hidden post would carry the post's thread out with it.
    return Reaction.objects.filter(
        post__removed_at__isnull=True, post__hidden_at__isnull=True
    ).select_related("post__thread__cohort")


def _spark_answers() -> QuerySet:
    # The answer's text is its post's: a moderator's removal or hiding keeps it in, too.
    return (
        SparkAnswer.objects.exclude(post__removed_at__isnull=False)
        .exclude(post__hidden_at__isnull=False)
        .select_related("delivery__spark__cohort")
        .prefetch_related("choices", "delivery__spark__choices")
    )


def _survey_responses() -> QuerySet:
    return Response.objects.filter(
        status=ResponseStatus.SUBMITTED, submitted_at__isnull=False, round__survey__anonymous=False
    ).select_related("round__survey", "round__cohort")


SOURCES: dict[str, SourceSpec] = {
    Source.POSTS: SourceSpec(
        _posts,
        "thread__cohort",
        post_statement,
        None,
        "created_at",
        editable_for=lambda: timedelta(minutes=settings.POST_EDIT_WINDOW_MINUTES),
    ),
    Source.REACTIONS: SourceSpec(
        _reactions, "post__thread__cohort", reaction_statement, None, "created_at"
    ),
    Source.SPARK_ANSWERS: SourceSpec(
        _spark_answers, "delivery__spark__cohort", spark_answer_statement, None, "created_at"
    ),
    Source.SURVEY_RESPONSES: SourceSpec(
        _survey_responses,
        "round__cohort",
        survey_response_statement,
        "submitted_at",
        "submitted_at",
    ),
}


def _scoped(
    spec: SourceSpec, *, organization_id: int | None = None, cohort_id: int | None = None
) -> QuerySet:
    if (organization_id is None) == (cohort_id is None):
        raise ValueError("Give exactly one of organization_id and cohort_id.")
    if cohort_id is not None:
        return spec.rows().filter(**{f"{spec.cohort_path}_id": cohort_id})
    return spec.rows().filter(**{f"{spec.cohort_path}__organization_id": organization_id})


def _after(spec: SourceSpec, rows: QuerySet, after: Position) -> QuerySet:
    if spec.order_field is None:
        return rows.filter(pk__gt=after.pk).order_by("pk")
    field = spec.order_field
    if after.at is not None:
        rows = rows.filter(
            Q(**{f"{field}__gt": after.at}) | Q(**{field: after.at, "pk__gt": after.pk})
        )
    return rows.order_by(field, "pk")


def position_of(source: str, row) -> Position:
    spec = SOURCES[source]
    return Position(pk=row.pk, at=getattr(row, spec.order_field) if spec.order_field else None)


def source_rows(
    source: str,
    *,
    organization_id: int | None = None,
    cohort_id: int | None = None,
    after: Position = Position(),
    limit: int = BATCH_SIZE,
    settled_before: datetime | None = None,
) -> list:
    """At most `limit` rows of `source` after `after`, in order, in a fixed number of queries.

    With `settled_before`, the batch stops at the first row written later than that: a row with a
    smaller key may still be in a transaction that has not committed, and a cursor moved past it
    would skip it for good. A row its author may still edit waits too, so the statement carries the
    final text and a re-sent one never differs from what the LRS stored.
    """
    spec = SOURCES[source]
    if settled_before is not None:
        settled_before -= spec.editable_for()
    rows = _after(spec, _scoped(spec, organization_id=organization_id, cohort_id=cohort_id), after)
    batch = list(rows[:limit])
    if settled_before is None:
        return batch
    for index, row in enumerate(batch):
        if getattr(row, spec.time_field) > settled_before:
            return batch[:index]
    return batch


def statements_for_rows(source: str, rows: list) -> list[dict]:
    build = SOURCES[source].build
    return [build(row) for row in rows]


def source_count_after(source: str, *, organization_id: int, after: Position) -> int:
    spec = SOURCES[source]
    return _after(spec, _scoped(spec, organization_id=organization_id), after).count()


def statements_iter(
    *,
    organization_id: int | None = None,
    cohort_id: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> Iterator[dict]:
    """Every statement of an organisation or a cohort, source by source, batch by batch."""
    for source in SOURCES:
        after = Position()
        while True:
            rows = source_rows(
                source,
                organization_id=organization_id,
                cohort_id=cohort_id,
                after=after,
                limit=batch_size,
            )
            yield from statements_for_rows(source, rows)
            if len(rows) < batch_size:
                break
            after = position_of(source, rows[-1])
