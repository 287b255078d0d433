"""What one cohort's dashboard shows: the result types its metrics fill, and their shared rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cohorts.models import Enrolment
from discussions.models import Channel, Post, PostKind, Thread
from insights.forgetting import CurveChoice, ForgettingFit, NoFit, PowerLawFit
from surveys.results import percent

DEFAULT_QUIET_DAYS = 14
# A Likert answer of 4 or 5 ("agree", "strongly agree") reports applying what was learned.
AGREE_FROM = 4
OWN_POST_KINDS = (PostKind.ARTICLE, PostKind.QUESTION, PostKind.DISCUSSION)
REPLY_KINDS = (PostKind.REPLY, PostKind.COMMENT)
CHANNEL_ORDER = [Channel.RESEARCH, Channel.CREATING, Channel.COMMUNICATION, Channel.COLLABORATION]


def nudge_key_prefix(cohort_id: int) -> str:
    return f"insights-nudge:{cohort_id}:"


def post_channel(kind: str, in_group: bool) -> Channel:
    """`Post.channel`, the one rule, applied to a grouped row: a kind, in a group's space or not."""
    space = Thread(study_group_id=-1 if in_group else None)
    return Post(kind=kind, thread=space).channel


@dataclass
class Tally:
    """Knowledge items answered and answered correctly."""

    correct: int = 0
    asked: int = 0

    def add(self, correct: int, asked: int) -> None:
        self.correct += correct
        self.asked += asked

    @property
    def percent(self) -> float | None:
        return percent(self.correct, self.asked)


@dataclass(frozen=True)
class KnowledgeRound:
    """One knowledge check round of this cohort: Kirkpatrick level 2 pre → post → follow-ups."""

    label: str
    opens_at: datetime
    submitted: int
    average_percent: float | None
    hidden: bool
    baseline: bool


@dataclass
class Knowledge:
    # Week since the workshop (0 = the week after it) -> items, for this cohort and the others.
    weeks: dict[int, Tally]
    others: dict[int, Tally]
    baseline: Tally
    rounds: list[KnowledgeRound]
    # The exponential and power-law curves, and which one fits better (by AICc).
    curves: CurveChoice

    @property
    def fit(self) -> ForgettingFit | PowerLawFit | NoFit:
        return self.curves.chosen


@dataclass(frozen=True)
class ScaleResult:
    text: str
    answers: int
    mean: float | None = None
    agree_percent: float | None = None


@dataclass
class Reactions:
    """Kirkpatrick levels 1 (satisfaction and relevance, NPS) and 3 (applying it)."""

    likert: list[ScaleResult] = field(default_factory=list)
    nps: int | None = None
    nps_answers: int = 0
    behaviour: list[ScaleResult] = field(default_factory=list)


@dataclass(frozen=True)
class Behaviour:
    """Kirkpatrick level 3: of the people who answered a behaviour survey, those who agree (4 or
    5 of 5) with at least one of its statements about applying what they learned."""

    respondents: int
    applying: int
    hidden: bool

    @property
    def applying_percent(self) -> float | None:
        return None if self.hidden else percent(self.applying, self.respondents)


@dataclass(frozen=True)
class SparkResult:
    question: str
    kind: str
    offset_days: int
    delivered: int
    answered: int
    correct: int
    missed: int
    replies: int


@dataclass
class ParticipantActivity:
    enrolment: Enrolment
    posts: int
    replies: int
    reactions: int
    sparks_answered: int
    sparks_missed: int
    surveys_submitted: int
    surveys_missed: int
    last_active: datetime | None
    last_nudged: datetime | None
    # Missed within the at-risk window (the last `quiet_days` days): older misses are history.
    sparks_missed_recently: int = 0
    surveys_missed_recently: int = 0

    @property
    def user(self):
        return self.enrolment.user

    @property
    def group_name(self) -> str:
        group = self.enrolment.study_group
        return group.name if group else "No study group"


# Severity of a participant at risk, from the weight of their reasons (`CohortMetrics.at_risk`).
SEVERITIES = ((4, "High"), (2, "Medium"), (1, "Low"))


@dataclass(frozen=True)
class AtRisk:
    activity: ParticipantActivity
    reasons: list[str]
    score: int = 1

    @property
    def severity(self) -> str:
        return next(label for floor, label in SEVERITIES if self.score >= floor)
