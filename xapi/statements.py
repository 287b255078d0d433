"""The platform's activity as xAPI 1.0.3 statements, built in bounded batches.

Three sources, each read in primary-key order so a cursor can say how far an export got:
- posts: a shared article is `shared`, a question opening a thread is `asked`, every other opening
  post, reply or comment is `commented`;
- spark answers: `answered`, with success for a knowledge spark and the confidence given (the
  post the answer made in the spark's thread is this statement, not a `commented` one);
- submitted survey responses: `completed`, with the score where the survey is scored.
Reactions are left out: the ADL vocabulary has no verb for a "like", and a statement per click
would drown the learning record in noise.

A person is an `account` on the site (its id), never an email address. A statement's id is a
UUID derived from the source row, so sending it twice is harmless: the LRS keeps the first.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from cohorts.models import Cohort
from discussions.models import Post, PostKind
from sparks.models import SparkAnswer, SparkKind
from surveys.models import Response, ResponseStatus

XAPI_VERSION = "1.0.3"
BATCH_SIZE = 200
# The namespace of statement ids: uuid5(namespace, "<site>:<source>:<pk>").
STATEMENT_NAMESPACE = uuid.UUID("6f1c0d2e-8a4b-5c3d-9e7f-1a2b3c4d5e6f")
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "shared": {"id": f"{ADL}shared", "display": {"en": "shared"}},
    "asked": {"id": f"{ADL}asked", "display": {"en": "asked"}},
    "commented": {"id": f"{ADL}commented", "display": {"en": "commented"}},
    "answered": {"id": f"{ADL}answered", "display": {"en": "answered"}},
    "completed": {"id": f"{ADL}completed", "display": {"en": "completed"}},
}
ACTIVITY_TYPES = {
    "discussion": "http://id.tincanapi.com/activitytype/discussion",
    "question": "http://adlnet.gov/expapi/activities/question",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "course": "http://adlnet.gov/expapi/activities/course",
}
CONFIDENCE_EXTENSION = "https://w3id.org/xapi/socialtraining/extensions/confidence"
SOURCES = ("post", "spark_answer", "survey_response")


@dataclass(frozen=True)
class Batch:
    statements: list[dict]
    # The last source row read; the next batch starts after it.
    last_pk: int | None


def statement_id(source: str, pk: int) -> str:
    return str(uuid.uuid5(STATEMENT_NAMESPACE, f"{settings.SITE_URL}:{source}:{pk}"))


def _iri(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _actor(user) -> dict:
    return {
        "objectType": "Agent",
        "name": user.name,
        "account": {"homePage": settings.SITE_URL, "name": str(user.pk)},
    }


def _context(cohort: Cohort) -> dict:
    return {
        "platform": "Social training",
        "language": settings.LANGUAGE_CODE,
        "contextActivities": {
            "grouping": [
                {
                    "objectType": "Activity",
                    "id": _iri(reverse("cohorts:detail", args=[cohort.pk])),
                    "definition": {
                        "type": ACTIVITY_TYPES["course"],
                        "name": {"en": cohort.name},
                    },
                }
            ]
        },
    }


def _timestamp(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def post_statement(post: Post) -> dict:
    thread = post.thread
    if post.is_opening and post.kind == PostKind.ARTICLE:
        verb = "shared"
    elif post.is_opening and post.kind == PostKind.QUESTION:
        verb = "asked"
    else:
        verb = "commented"
    return {
        "id": statement_id("post", post.pk),
        "actor": _actor(post.author),
        "verb": VERBS[verb],
        "object": {
            "objectType": "Activity",
            "id": _iri(reverse("discussions:thread", args=[thread.cohort_id, thread.pk])),
            "definition": {
                "type": ACTIVITY_TYPES["discussion"],
                "name": {"en": thread.title},
            },
        },
        "result": {"response": post.body},
        "context": _context(thread.cohort),
        "timestamp": _timestamp(post.created_at),
    }


def spark_answer_statement(answer: SparkAnswer) -> dict:
    delivery = answer.delivery
    spark = delivery.spark
    result: dict = {"response": answer.text, "completion": True}
    if spark.kind == SparkKind.KNOWLEDGE and answer.is_correct is not None:
        result["success"] = answer.is_correct
    if answer.confidence is not None:
        result["extensions"] = {CONFIDENCE_EXTENSION: answer.confidence}
    definition: dict = {
        "type": ACTIVITY_TYPES["question"],
        "name": {"en": spark.question},
        "interactionType": "choice" if spark.kind == SparkKind.KNOWLEDGE else "long-fill-in",
    }
    if spark.objective:
        definition["description"] = {"en": spark.objective}
    return {
        "id": statement_id("spark_answer", answer.pk),
        "actor": _actor(delivery.participant),
        "verb": VERBS["answered"],
        "object": {
            "objectType": "Activity",
            "id": _iri(f"/cohorts/{spark.cohort_id}/sparks/{spark.pk}/"),
            "definition": definition,
        },
        "result": result,
        "context": _context(spark.cohort),
        "timestamp": _timestamp(answer.created_at),
    }


def survey_response_statement(response: Response) -> dict:
    round_ = response.round
    result: dict = {"completion": True}
    if response.max_score:
        result["score"] = {
            "raw": response.score or 0,
            "min": 0,
            "max": response.max_score,
            "scaled": round((response.score or 0) / response.max_score, 4),
        }
    return {
        "id": statement_id("survey_response", response.pk),
        "actor": _actor(response.participant),
        "verb": VERBS["completed"],
        "object": {
            "objectType": "Activity",
            "id": _iri(reverse("surveys:answer", args=[round_.cohort_id, round_.pk])),
            "definition": {
                "type": ACTIVITY_TYPES["assessment"],
                "name": {"en": f"{round_.survey.title} · {round_.label}"},
            },
        },
        "result": result,
        "context": _context(round_.cohort),
        "timestamp": _timestamp(response.submitted_at),
    }


def statement_rows(source: str, cohorts: QuerySet[Cohort]) -> QuerySet:
    """The source's rows in `cohorts`, with everything a statement needs in the same query."""
    if source == "post":
        # A spark answer's post is the `answered` statement already; peers' replies to it stay.
        answers = SparkAnswer.objects.filter(post__isnull=False).values("post_id")
        return (
            Post.objects.filter(
                thread__cohort__in=cohorts, removed_at__isnull=True, author__isnull=False
            )
            .exclude(pk__in=answers)
            .select_related("author", "thread", "thread__cohort")
        )
    if source == "spark_answer":
        return SparkAnswer.objects.filter(delivery__spark__cohort__in=cohorts).select_related(
            "delivery__participant", "delivery__spark", "delivery__spark__cohort"
        )
    if source == "survey_response":
        return Response.objects.filter(
            round__cohort__in=cohorts, status=ResponseStatus.SUBMITTED
        ).select_related("participant", "round", "round__survey", "round__cohort")
    raise ValueError(f"unknown statement source {source!r}")


BUILDERS = {
    "post": post_statement,
    "spark_answer": spark_answer_statement,
    "survey_response": survey_response_statement,
}


def statements_batch(
    *, source: str, cohorts: QuerySet[Cohort], after_pk: int = 0, size: int = BATCH_SIZE
) -> Batch:
    """Up to `size` statements of `source` after the row `after_pk`, in one query."""
    rows = list(statement_rows(source, cohorts).filter(pk__gt=after_pk).order_by("pk")[:size])
    build = BUILDERS[source]
    return Batch([build(row) for row in rows], rows[-1].pk if rows else None)


def statements_all(*, cohorts: QuerySet[Cohort], size: int = BATCH_SIZE) -> Iterator[dict]:
    """Every statement of `cohorts`, source by source, one query per batch."""
    for source in SOURCES:
        after = 0
        while True:
            batch = statements_batch(source=source, cohorts=cohorts, after_pk=after, size=size)
            yield from batch.statements
            if batch.last_pk is None or len(batch.statements) < size:
                break
            after = batch.last_pk
