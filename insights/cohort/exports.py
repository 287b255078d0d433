"""The cohort dashboard's CSV of participants' activity."""

from __future__ import annotations

from insights.cohort.metrics import CohortMetrics


def participant_activity_rows(metrics: CohortMetrics):
    yield [
        "Name",
        "Email",
        "Study group",
        "Posts",
        "Replies",
        "Reactions",
        "Sparks answered",
        "Sparks missed",
        "Surveys submitted",
        "Surveys missed",
        "Last active",
        "Last nudged",
    ]
    for row in metrics.participants:
        yield [
            row.user.name,
            row.user.email,
            row.group_name,
            row.posts,
            row.replies,
            row.reactions,
            row.sparks_answered,
            row.sparks_missed,
            row.surveys_submitted,
            row.surveys_missed,
            row.last_active.isoformat() if row.last_active else "",
            row.last_nudged.isoformat() if row.last_nudged else "",
        ]
