"""Everyone's activity in a cohort, grouped per person and source, in one query."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Case, CharField, Count, F, IntegerField, Max, Q, QuerySet, Value, When

from cohorts.models import Cohort
from discussions.models import Post, Reaction, ReadMarker
from insights.cohort.results import AGREE_FROM, OWN_POST_KINDS, REPLY_KINDS, nudge_key_prefix
from notifications.models import Notification
from sparks.models import Delivery, DeliveryOutcome
from surveys.models import Purpose, QuestionKind, Response, ResponseStatus, Round, RoundStatus


def cohort_activity(cohort: Cohort, *, quiet_since: datetime) -> dict[str, list[dict]]:
    """Everyone's activity in the cohort, grouped per person and source, in one query.

    One UNION ALL of grouped queries (each scans only this cohort's rows), rather than a
    correlated subquery per participant, whose estimated cost grows with the cohort and makes
    PostgreSQL spend seconds compiling it with JIT. Every part has the same columns: person,
    source, two counts and a moment.
    """
    cohort = cohort

    def part(queryset: QuerySet, person: str, source: str, a, b, at) -> QuerySet:
        return (
            queryset.order_by()
            .values(uid=F(person), src=Value(source, output_field=CharField()))
            .annotate(a=a, b=b, at=at)
        )

    none = Value(0, output_field=IntegerField())
    posts = Post.objects.filter(thread__cohort=cohort, removed_at__isnull=True)
    deliveries = Delivery.objects.filter(spark__cohort=cohort)
    responses = Response.objects.filter(round__cohort=cohort, status=ResponseStatus.SUBMITTED)
    parts = [
        part(
            posts,
            "author_id",
            "posts",
            Count("pk", filter=Q(kind__in=OWN_POST_KINDS)),
            Count("pk", filter=Q(kind__in=REPLY_KINDS)),
            Max("created_at"),
        ),
        part(
            Reaction.objects.filter(post__thread__cohort=cohort),
            "user_id",
            "reactions",
            Count("pk"),
            none,
            Max("created_at"),
        ),
        part(
            deliveries,
            "participant_id",
            "sparks",
            Count("pk", filter=Q(outcome=DeliveryOutcome.ANSWERED)),
            Count("pk", filter=Q(outcome=DeliveryOutcome.MISSED)),
            Max("answer__created_at"),
        ),
        part(
            # Closed (expired) in the window; a row without its closing time, by its due time.
            deliveries.filter(outcome=DeliveryOutcome.MISSED).filter(
                Q(closed_at__gte=quiet_since) | Q(closed_at__isnull=True, due_at__gte=quiet_since)
            ),
            "participant_id",
            "sparks_missed_recently",
            Count("pk"),
            none,
            Max("closed_at"),
        ),
        part(responses, "participant_id", "surveys", Count("pk"), none, Max("submitted_at")),
        part(
            ReadMarker.objects.filter(thread__cohort=cohort),
            "user_id",
            "read",
            none,
            none,
            Max("read_at"),
        ),
        part(
            Notification.objects.filter(key__startswith=nudge_key_prefix(cohort.pk)),
            "user_id",
            "nudged",
            none,
            none,
            Max("created_at"),
        ),
        # Each closed round answered, with when it opened: missed rounds are the others.
        part(
            responses.filter(round__status=RoundStatus.CLOSED),
            "participant_id",
            "closed_answered",
            F("round_id"),
            none,
            Max("round__opens_at"),
        ),
        # Level 3: behaviour survey respondents, and whether they agree with any statement.
        part(
            responses.filter(round__survey__purpose=Purpose.BEHAVIOUR),
            "participant_id",
            "behaviour",
            Count(
                "answers",
                filter=Q(
                    answers__question__kind=QuestionKind.LIKERT,
                    answers__number__gte=AGREE_FROM,
                ),
            ),
            Count("pk", distinct=True, filter=Q(round__survey__anonymous=True)),
            Max("submitted_at"),
        ),
        # b: 1 when the round closed within the at-risk window.
        Round.objects.filter(cohort=cohort, status=RoundStatus.CLOSED)
        .order_by()
        .values(
            uid=Value(None, output_field=IntegerField()),
            src=Value("closed_round", output_field=CharField()),
            a=F("pk"),
            b=Case(
                When(closes_at__gte=quiet_since, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            at=F("opens_at"),
        ),
    ]
    found: dict[str, list[dict]] = defaultdict(list)
    for row in parts[0].union(*parts[1:], all=True).order_by():
        found[row["src"]].append(row)
    return found
