"""Rounds: scheduling them against the cohort's sessions, and opening, reminding and closing them
(the `survey_round` due kind)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction

from accounts.models import User
from cohorts.models import Cohort, CohortRole, Enrolment
from cohorts.timeline import Anchor, anchored_moment, wall_clock_kept
from notifications.emails import EmailTemplate, absolute_url, slot
from notifications.models import EmailKind
from notifications.scheduling import DueStatus
from notifications.services import Notice, notify_many, unsubscribe_label
from socialtraining import clock
from surveys import links
from surveys.models import (
    Response,
    ResponseStatus,
    Round,
    RoundEvent,
    RoundStatus,
    RoundStep,
    Survey,
)
from surveys.starters import EXAMPLE_TEXTS

DEFAULT_OPEN_DAYS = 14


class RoundError(Exception):
    """A round that cannot be scheduled as asked, for a reason the instructor should read."""


def anchored_round_moment(
    cohort: Cohort, *, anchor: str, offset_days: int, release_time: time
) -> datetime | None:
    """The anchored moment a round opens; None while the cohort has no sessions.

    "After the last session" means after it: on the last session's own day a round opens when
    the session ends, not at 09:00 while it still runs.
    """
    moment = anchored_moment(cohort, anchor=anchor, offset_days=offset_days, at=release_time)
    if moment is not None and anchor == Anchor.AFTER_LAST and moment < cohort.last_end:
        # On the cohort's wall clock, so "open 14 days" ends at the same local hour.
        return cohort.last_end.astimezone(cohort.tz)
    return moment


def round_opening(
    *,
    cohort: Cohort,
    anchor: str,
    offset_days: int = 0,
    release_time: time = time(9, 0),
    opens_at: datetime | None = None,
) -> datetime:
    """When a round opens; `opens_at` is used as given for the "at a date and time" anchor."""
    if anchor == Anchor.AT:
        if opens_at is None:
            raise RoundError("Choose the date and time the round opens.")
        return opens_at
    moment = anchored_round_moment(
        cohort, anchor=anchor, offset_days=offset_days, release_time=release_time
    )
    if moment is None:
        raise RoundError(
            "This cohort has no workshop sessions yet, so a round cannot be placed relative to "
            "them. Add the sessions first, or choose a date and time."
        )
    return moment


@dataclass(frozen=True)
class RoundPlan:
    """A round as an instructor asks for it: its label, its point on the cohort's timeline (an
    anchor and days, or `opens_at` for "at a date and time"), how long it stays open and when it
    reminds. Scheduling a round and moving one both take it."""

    label: str
    anchor: str
    offset_days: int = 0
    release_time: time = time(9, 0)
    opens_at: datetime | None = None
    open_days: int = DEFAULT_OPEN_DAYS
    remind_after_days: int | None = 3

    def window(self, cohort: Cohort, now: datetime) -> tuple[datetime, datetime]:
        """When the round opens and closes in `cohort`; refused if it would already be closed."""
        opening = round_opening(
            cohort=cohort,
            anchor=self.anchor,
            offset_days=self.offset_days,
            release_time=self.release_time,
            opens_at=self.opens_at,
        )
        # Aware arithmetic in the cohort's zone: the round closes at the local hour it opened.
        closes_at = opening + timedelta(days=self.open_days)
        if closes_at <= now:
            raise RoundError(
                "That round would already be closed. Choose a later point, or keep it open longer."
            )
        return opening, closes_at


def round_steps_plan(round_: Round) -> dict[str, datetime]:
    """When the round opens, is reminded (its `remind_after_days`, if before it closes) and
    closes: the one plan of its due rows, for scheduling and the demo's history alike."""
    plan = {RoundStep.OPEN: round_.opens_at, RoundStep.CLOSE: round_.closes_at}
    if round_.remind_after_days:
        remind_at = round_.opens_at + timedelta(days=round_.remind_after_days)
        # A reminder after the round has closed would point at a closed form.
        if remind_at < round_.closes_at:
            plan[RoundStep.REMIND] = remind_at
    return plan


def check_survey_has_no_examples(survey: Survey) -> None:
    """Refuse a survey that still holds a starter's example wording: it would reach people."""
    positions = [
        str(question.position)
        for question in survey.questions.prefetch_related("choices")
        if (
            {question.text, question.explanation, question.objective}
            | {choice.text for choice in question.choices.all()}
        )
        & EXAMPLE_TEXTS
    ]
    if positions:
        which = " and ".join(positions)
        raise RoundError(
            f"Question{'s' if len(positions) > 1 else ''} {which} still "
            f"hold{'' if len(positions) > 1 else 's'} the starter's example wording. Replace it "
            "with your own (question, choices, explanation and objective) before scheduling a "
            "round, or remove the question."
        )


@transaction.atomic
def rounds_schedule_standard(
    *, survey: Survey, presets: list[tuple[str, int, str]]
) -> tuple[list[Round], list[str]]:
    """Schedule each of `presets` (anchor, days, label) not yet on the survey: the standard set
    before, right after, +30, +60 and +90. Returns the new rounds and why others were skipped."""
    check_survey_has_no_examples(survey)
    if survey.cohort.last_end is None:
        raise RoundError(
            "This cohort has no workshop sessions yet, so its rounds cannot be placed. Add the "
            "sessions first."
        )
    taken = set(
        survey.rounds.exclude(status=RoundStatus.CANCELLED).values_list("anchor", "offset_days")
    )
    added, skipped = [], []
    for anchor, days, label in presets:
        if (anchor, days) in taken:
            skipped.append(f"{label} (already scheduled)")
            continue
        try:
            with transaction.atomic():
                plan = RoundPlan(label=label, anchor=anchor, offset_days=days)
                added.append(round_schedule(survey=survey, plan=plan))
        except RoundError:
            skipped.append(f"{label} (its time has passed)")
    return added, skipped


@transaction.atomic
def round_schedule(*, survey: Survey, plan: RoundPlan) -> Round:
    """Attach `survey` to its cohort at one point of its timeline, with open/remind/close rows."""
    check_survey_has_no_examples(survey)
    now = clock.now()
    opening, closes_at = plan.window(survey.cohort, now)
    round_ = Round.objects.create(
        survey=survey,
        cohort=survey.cohort,
        label=plan.label,
        anchor=plan.anchor,
        offset_days=plan.offset_days,
        release_time=plan.release_time,
        opens_at=opening,
        closes_at=closes_at,
        remind_after_days=plan.remind_after_days,
    )
    RoundEvent.objects.bulk_create(
        RoundEvent(round=round_, step=step, due_at=due_at)
        for step, due_at in round_steps_plan(round_).items()
    )
    return round_


@transaction.atomic
def round_reschedule(*, round_: Round, opens_at: datetime, closes_at: datetime) -> Round:
    """Move a round that has not opened yet; its pending steps move with it."""
    if round_.status != RoundStatus.SCHEDULED:
        raise RoundError("Only a round that has not opened yet can be moved.")
    if closes_at <= opens_at:
        raise RoundError("A round must close after it opens.")
    round_.opens_at, round_.closes_at = opens_at, closes_at
    round_.save(update_fields=["opens_at", "closes_at"])
    plan = round_steps_plan(round_)
    for event in RoundEvent.objects.select_for_update().filter(round=round_):
        # A step cancelled by an earlier change (a reminder switched off) comes back if planned.
        if event.status in (DueStatus.PENDING, DueStatus.CANCELLED) and event.step in plan:
            event.due_at, event.status = plan[event.step], DueStatus.PENDING
            event.save(update_fields=["due_at", "status"])
        elif event.status == DueStatus.PENDING:
            event.status = DueStatus.CANCELLED
            event.save(update_fields=["status"])
    for step, due_at in plan.items():
        RoundEvent.objects.get_or_create(round=round_, step=step, defaults={"due_at": due_at})
    return round_


def rounds_follow_sessions(*, cohort: Cohort) -> int:
    """Re-place the cohort's unopened anchored rounds after its sessions changed."""
    moved = 0
    for round_ in Round.objects.filter(cohort=cohort, status=RoundStatus.SCHEDULED).exclude(
        anchor=Anchor.AT
    ):
        opening = anchored_round_moment(
            cohort,
            anchor=round_.anchor,
            offset_days=round_.offset_days,
            release_time=round_.release_time,
        )
        if opening is None or opening == round_.opens_at:
            continue
        round_reschedule(
            round_=round_,
            opens_at=opening,
            closes_at=opening + (round_.closes_at - round_.opens_at),
        )
        moved += 1
    return moved


def rounds_follow_schedule(*, cohort: Cohort, previous_time_zone: str) -> None:
    """cohorts.hooks callback: the cohort's sessions or time zone were saved.

    Anchored rounds are placed again; a round at a fixed date and time keeps its wall-clock time
    on a new time zone's clock (cohorts.timeline's one decision for prompts, rounds and sparks).
    """
    rounds_follow_sessions(cohort=cohort)
    if previous_time_zone == cohort.time_zone:
        return
    for round_ in Round.objects.filter(
        cohort=cohort, status=RoundStatus.SCHEDULED, anchor=Anchor.AT
    ):
        round_reschedule(
            round_=round_,
            opens_at=wall_clock_kept(round_.opens_at, previous_time_zone, cohort),
            closes_at=wall_clock_kept(round_.closes_at, previous_time_zone, cohort),
        )


@transaction.atomic
def round_cancel(*, round_: Round) -> Round:
    """Cancel a round that has not opened: nobody is notified and its steps never run."""
    if round_.status != RoundStatus.SCHEDULED:
        raise RoundError("A round that has opened cannot be cancelled; close it instead.")
    round_.status = RoundStatus.CANCELLED
    round_.save(update_fields=["status"])
    RoundEvent.objects.filter(round=round_, status=DueStatus.PENDING).update(
        status=DueStatus.CANCELLED
    )
    return round_


def round_participants(round_: Round) -> list[User]:
    enrolments = Enrolment.objects.filter(
        cohort_id=round_.cohort_id, role=CohortRole.PARTICIPANT, user__is_active=True
    ).select_related("user__notification_preference")
    return [e.user for e in enrolments]


def round_events_run(events: list[RoundEvent]) -> dict:
    """Work of the `survey_round` due kind: open, remind or close rounds, a batch at a time.

    Runs inside the due-row engine's transaction, which marks the events done with the work, so
    each step happens once.
    """
    rounds = Round.objects.select_for_update().select_related("survey", "cohort")
    rounds = rounds.in_bulk({event.round_id for event in events})
    for event in events:
        round_ = rounds[event.round_id]
        if round_.status == RoundStatus.CANCELLED:
            continue
        if event.step == RoundStep.OPEN:
            _round_open(round_)
        elif event.step == RoundStep.REMIND:
            _round_remind(round_)
        elif event.step == RoundStep.CLOSE:
            round_.status = RoundStatus.CLOSED
            round_.save(update_fields=["status"])
    return {}


def _round_notices(round_: Round, people: list[User], *, key: str, title: str) -> list[Notice]:
    """One notice per person, the email rendered once with a slot for each person's own link."""
    email = EmailTemplate(
        "notification",
        {
            "kind_label": unsubscribe_label(EmailKind.SURVEY),
            "title": title,
            "body": _open_body(round_),
            "url": slot("link"),
        },
    )
    notices = []
    for person in people:
        path = links.round_link_path(round_, person)
        notices.append(
            Notice(
                user=person,
                # The key makes a second run (a retried batch, a second dispatcher) tell nobody
                # again.
                key=f"{key}:{round_.pk}",
                kind=EmailKind.SURVEY,
                title=title,
                body=_open_body(round_),
                url=path,
                email=email,
                values={"link": absolute_url(path)},
            )
        )
    return notices


def _round_open(round_: Round) -> None:
    if round_.status == RoundStatus.SCHEDULED:
        round_.status = RoundStatus.OPEN
        round_.save(update_fields=["status"])
    if round_.status != RoundStatus.OPEN:
        return
    notify_many(
        _round_notices(
            round_,
            round_participants(round_),
            key="survey-open",
            title=f"{round_.survey.title}: a few minutes of your time",
        )
    )


def _open_body(round_: Round) -> str:
    closes = round_.closes_at.astimezone(round_.cohort.tz)
    return (
        f"{round_.cohort.name} · {round_.label}. "
        f"Open until {closes:%A} {closes.day} {closes:%B, %H:%M}."
    )


def _round_remind(round_: Round) -> None:
    if round_.status != RoundStatus.OPEN:
        return
    answered = set(
        Response.objects.filter(round=round_, status=ResponseStatus.SUBMITTED).values_list(
            "participant_id", flat=True
        )
    )
    waiting = [person for person in round_participants(round_) if person.pk not in answered]
    notify_many(
        _round_notices(
            round_, waiting, key="survey-remind", title=f"Reminder: {round_.survey.title}"
        )
    )


@transaction.atomic
def round_update(*, round_: Round, plan: RoundPlan) -> Round:
    """Re-plan a round that has not opened: a new point on the timeline, length and reminder."""
    now = clock.now()
    round_ = Round.objects.select_for_update().select_related("cohort").get(pk=round_.pk)
    if round_.status != RoundStatus.SCHEDULED:
        raise RoundError("Only a round that has not opened yet can be changed.")
    opening, closes_at = plan.window(round_.cohort, now)
    round_.label, round_.anchor, round_.offset_days = plan.label, plan.anchor, plan.offset_days
    round_.release_time, round_.remind_after_days = plan.release_time, plan.remind_after_days
    round_.save(
        update_fields=["label", "anchor", "offset_days", "release_time", "remind_after_days"]
    )
    return round_reschedule(round_=round_, opens_at=opening, closes_at=closes_at)
