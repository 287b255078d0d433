"""The cohort dashboard's charts: each reads only the sources it needs, so its CSV costs only those
queries."""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse
from django.utils.text import Truncator

from insights.charts import Chart, Series
from insights.cohort.metrics import CohortMetrics
from insights.cohort.results import CHANNEL_ORDER, ParticipantActivity, Tally
from insights.forgetting import ForgettingFit, PowerLawFit
from sparks.models import SparkKind

SPARK_LABEL_CHARS = 40


def _csv_url(metrics: CohortMetrics, chart_id: str) -> str:
    return reverse("insights:cohort_chart_csv", args=[metrics.cohort.pk, chart_id])


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _week_label(week: int, tally: Tally | None) -> str:
    # How many answers stand behind a week's score: a week of three answers wobbles.
    if tally is None or not tally.asked:
        return f"Week {week}"
    return f"Week {week} ({tally.asked} answer{'' if tally.asked == 1 else 's'})"


def retention_chart(metrics: CohortMetrics) -> Chart:
    knowledge = metrics.knowledge
    last_week = max([*knowledge.weeks, *knowledge.others, 0])
    weeks = list(range(last_week + 1))
    fit = knowledge.fit
    series = [
        Series(
            "This cohort", [_one_decimal(knowledge.weeks.get(w, Tally()).percent) for w in weeks]
        )
    ]
    if isinstance(fit, ForgettingFit):
        series.append(
            Series(
                "Fitted forgetting curve", [round(fit.score_at(7 * w), 1) for w in weeks], "dashed"
            )
        )
        summary = (
            f"Scores fall with a half-life of {fit.half_life_days:.0f} days towards a floor of "
            f"{fit.floor:.0f}%, from {fit.s0:.0f}% right after the workshop (fitted to the "
            f"answers of {fit.points} days)."
        )
    elif isinstance(fit, PowerLawFit):
        series.append(
            Series(
                "Fitted forgetting curve (power law)",
                [round(fit.score_at(7 * w), 1) for w in weeks],
                "dashed",
            )
        )
        summary = (
            f"Scores fall fast at first, then ever more slowly, towards a floor of "
            f"{fit.floor:.0f}%, from {fit.s0:.0f}% right after the workshop (fitted to the "
            f"answers of {fit.points} days)."
        )
    else:
        summary = fit.reason
    if knowledge.curves.summary:
        summary += " " + knowledge.curves.summary
    if knowledge.baseline.asked:
        baseline = knowledge.baseline.percent
        series.append(Series("Before the workshop (baseline)", [baseline] * len(weeks), "dashed"))
        summary += f" Before the workshop: {baseline:.0f}%."
    series.append(
        Series(
            "Other cohorts of the organisation",
            [_one_decimal(knowledge.others.get(w, Tally()).percent) for w in weeks],
            "faint",
        )
    )
    return Chart(
        id="retention",
        title="Retention: average knowledge score by weeks since the workshop",
        kind="line",
        x_label="Weeks since the workshop",
        y_label="Average knowledge score (%)",
        labels=[_week_label(w, knowledge.weeks.get(w)) for w in weeks],
        series=series,
        summary=summary,
        y_min=0,
        y_max=100,
        unit="%",
        csv_url=_csv_url(metrics, "retention"),
        fresh_at=metrics.now,
        notes=[
            "From knowledge checks (survey rounds) and knowledge sparks: the share of questions "
            "answered correctly."
        ],
    )


def knowledge_rounds_chart(metrics: CohortMetrics) -> Chart:
    rounds = [r for r in metrics.knowledge.rounds if not r.hidden]
    return Chart(
        id="knowledge",
        title="Level 2, learning: knowledge checks before and after",
        kind="bar",
        x_label="Knowledge check",
        y_label="Average score (%)",
        labels=[r.label for r in rounds],
        series=[Series("Average score", [r.average_percent for r in rounds])],
        summary=" → ".join(f"{r.label} {r.average_percent:.0f}%" for r in rounds),
        y_min=0,
        y_max=100,
        unit="%",
        csv_url=_csv_url(metrics, "knowledge"),
        fresh_at=metrics.now,
    )


def channels_chart(metrics: CohortMetrics) -> Chart:
    weeks = metrics.channel_weeks
    tz = metrics.cohort.tz
    labels = [f"Week of {week.astimezone(tz):%-d %b %Y}" for week in weeks]
    totals = {c: sum(w[c] for w in weeks.values()) for c in CHANNEL_ORDER}
    busiest = max(CHANNEL_ORDER, key=totals.__getitem__) if weeks else None
    return Chart(
        id="channels",
        title="Social learning: posts per week by channel",
        kind="stacked-bar",
        x_label="Week",
        y_label="Posts",
        labels=labels,
        series=[Series(c.label, [w[c] for w in weeks.values()]) for c in CHANNEL_ORDER],
        summary=(
            f"{sum(totals.values())} posts over {len(weeks)} weeks; most in "
            f"{busiest.label.lower()}."
            if busiest
            else ""
        ),
        csv_url=_csv_url(metrics, "channels"),
        fresh_at=metrics.now,
    )


def groups_chart(metrics: CohortMetrics) -> Chart:
    by_group: dict[str, list[ParticipantActivity]] = defaultdict(list)
    for row in metrics.participants:
        by_group[row.group_name].append(row)
    names = sorted(by_group)

    def per_member(attribute: str) -> list[float | None]:
        return [
            round(sum(getattr(r, attribute) for r in by_group[n]) / len(by_group[n]), 1)
            for n in names
        ]

    active = [
        round(
            100
            * sum(1 for r in by_group[n] if r.last_active and r.last_active >= metrics.quiet_since)
            / len(by_group[n]),
            1,
        )
        for n in names
    ]
    return Chart(
        id="groups",
        title="Study groups compared: activity per member",
        kind="bar",
        x_label="Study group",
        y_label="Per member",
        labels=names,
        series=[
            Series("Posts per member", per_member("posts")),
            Series("Replies per member", per_member("replies")),
            Series("Reactions per member", per_member("reactions")),
        ],
        summary=", ".join(
            f"{n}: {len(by_group[n])} members, {a:.0f}% active in the last "
            f"{metrics.quiet_days} days"
            for n, a in zip(names, active, strict=True)
        ),
        csv_url=_csv_url(metrics, "groups"),
        fresh_at=metrics.now,
    )


def sparks_chart(metrics: CohortMetrics) -> Chart:
    sparks = metrics.sparks
    totals = {
        name: sum(getattr(s, name) for s in sparks)
        for name in ("delivered", "answered", "correct", "replies")
    }
    return Chart(
        id="sparks",
        title="Sparks: delivered, answered, correct and the replies they sparked",
        kind="bar",
        x_label="Spark",
        y_label="Count",
        labels=[
            f"{s.offset_days} days after: {Truncator(s.question).chars(SPARK_LABEL_CHARS)}"
            for s in sparks
        ],
        series=[
            Series("Delivered", [s.delivered for s in sparks]),
            Series("Answered", [s.answered for s in sparks]),
            Series(
                "Correct",
                [s.correct if s.kind == SparkKind.KNOWLEDGE else None for s in sparks],
            ),
            Series("Replies sparked", [s.replies for s in sparks]),
        ],
        summary=(
            f"{totals['delivered']} delivered, {totals['answered']} answered, "
            f"{totals['correct']} correct, {totals['replies']} replies sparked."
        ),
        csv_url=_csv_url(metrics, "sparks"),
        fresh_at=metrics.now,
    )


CHARTS = {
    "retention": retention_chart,
    "knowledge": knowledge_rounds_chart,
    "channels": channels_chart,
    "groups": groups_chart,
    "sparks": sparks_chart,
}
