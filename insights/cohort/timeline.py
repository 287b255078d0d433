"""One participant's page: what they did, in time order, and their scores over time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from cohorts.models import Cohort
from discussions.fanout import post_excerpt
from discussions.models import Post
from insights.charts import Chart, Series
from sparks.models import SparkAnswer
from surveys.models import Response, ResponseStatus


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "post", "spark" or "survey"
    title: str
    detail: str = ""
    url: str = ""
    correct: bool | None = None


@dataclass
class ParticipantTimeline:
    entries: list[TimelineEntry]
    posts_shown: int
    posts_total: int
    scores: Chart


TIMELINE_POSTS = 100


def participant_timeline(
    cohort: Cohort, user, *, now: datetime, enrolment_pk: int
) -> ParticipantTimeline:
    """Their newest posts, every spark answer and every submitted survey: three queries and a
    count, whatever they have done."""
    posts_qs = Post.objects.filter(author=user, thread__cohort=cohort, removed_at__isnull=True)
    posts_total = posts_qs.count()
    posts = list(posts_qs.select_related("thread").order_by("-created_at", "-pk")[:TIMELINE_POSTS])
    answers = list(
        SparkAnswer.objects.filter(delivery__participant=user, delivery__spark__cohort=cohort)
        .select_related("delivery__spark")
        .order_by("created_at")
    )
    responses = list(
        Response.objects.filter(
            participant=user, round__cohort=cohort, status=ResponseStatus.SUBMITTED
        )
        .select_related("round__survey")
        .order_by("submitted_at")
    )
    entries = [
        TimelineEntry(
            at=p.created_at,
            kind="post",
            title=f"{p.get_kind_display()} in “{p.thread.title}”",
            # As a reader sees it: no Markdown or mention syntax.
            detail=post_excerpt(p.body),
            url=reverse("discussions:thread", args=[cohort.pk, p.thread_id]),
        )
        for p in posts
    ]
    entries += [
        TimelineEntry(
            at=a.created_at,
            kind="spark",
            title=f"Answered the spark “{a.delivery.spark.question}”",
            detail=f"ask {a.delivery.attempt}",
            correct=a.is_correct,
        )
        for a in answers
    ]
    entries += [
        TimelineEntry(
            at=r.submitted_at,
            kind="survey",
            title=f"Submitted {r.round.survey.title} · {r.round.label}",
            detail="" if r.score_percent is None else f"score {r.score_percent}%",
        )
        # An anonymous survey promised totals only: no one's answer appears on their own page.
        for r in responses
        if not r.round.survey.anonymous
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    scored = [
        (r.submitted_at, f"{r.round.survey.title} · {r.round.label}", r.score_percent)
        for r in responses
        if r.score_percent is not None and not r.round.survey.anonymous
    ]
    scored += [
        (
            a.created_at,
            f"Spark: {a.delivery.spark.question}",
            100.0 if a.is_correct else 0.0,
        )
        for a in answers
        if a.is_correct is not None
    ]
    scored.sort(key=lambda item: item[0])
    tz = cohort.tz
    scores = Chart(
        id="scores",
        title="Knowledge scores over time",
        kind="line",
        x_label="When",
        y_label="Score (%)",
        labels=[f"{at.astimezone(tz):%-d %b %Y}: {label}" for at, label, _ in scored],
        series=[Series("Score", [score for _, _, score in scored])],
        summary=(f"{len(scored)} scored answers; latest {scored[-1][2]:.0f}%." if scored else ""),
        y_min=0,
        y_max=100,
        unit="%",
        fresh_at=now,
        notes=["A knowledge check counts its share correct; a knowledge spark 100% or 0%."],
        csv_url=reverse("insights:cohort_participant_scores_csv", args=[cohort.pk, enrolment_pk]),
    )
    return ParticipantTimeline(
        entries=entries, posts_shown=len(posts), posts_total=posts_total, scores=scores
    )
