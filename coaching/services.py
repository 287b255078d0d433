"""Writes of the coaching app: who coaches whom, the cohort's coaching prompts and observation
rounds (due rows of the one engine), and coaches' observations."""

from __future__ import annotations

from collections import defaultdict
from datetime import time, timedelta

from django.db import transaction
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import invitation_create, membership_ensure, user_for_email
from coaching import links, selectors
from coaching.models import (
    CoachingBooster,
    Frequency,
    Observation,
    ObservationRound,
    ObservationStep,
)
from cohorts.models import Cohort, CohortRole, Enrolment
from cohorts.timeline import Anchor, anchored_moment
from notifications.emails import EmailTemplate, absolute_url
from notifications.models import EmailKind
from notifications.scheduling import DueStatus
from notifications.services import Notice, notify_many, unsubscribe_label
from socialtraining import clock
from sparks.models import SparkSchedule

# The cohort's booster points (days after the last session) and what a coach is asked to do.
DEFAULT_BOOSTERS = (
    (
        2,
        "+2 days",
        "Ask {name} what they tried from the workshop this week, and how “{objective}” went.",
    ),
    (
        14,
        "+2 weeks",
        "Ask {name} for one moment in the last two weeks when they used “{objective}”, "
        "and what they would do differently next time.",
    ),
    (
        60,
        "+2 months",
        "Ask {name} which habit from the workshop has stuck, and what still gets in the way "
        "of “{objective}”.",
    ),
)
OBSERVATION_DAYS = ((30, "+30 days"), (60, "+60 days"), (90, "+90 days"))
# One reminder, this long after the coaches were asked.
OBSERVATION_REMIND_AFTER = timedelta(days=7)
# Answers this recent feed a conversation starter.
RECENT_ANSWERS = timedelta(days=30)
# A booster point that passed before the cohort had any coach is not sent late.
LATE_BY_AT_MOST = timedelta(days=1)
STARTER_FIELDS = ("name", "objective")


class CoachError(Exception):
    """Why a coach cannot be set, in words a person understands."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Who coaches whom


@transaction.atomic
def enrolment_coach_set(
    *, enrolment: Enrolment, email: str, display_name: str, set_by: User
) -> Enrolment:
    """Give a participant a coach (invited like anyone else if they have no account yet), or none
    when `email` is empty."""
    if enrolment.role != CohortRole.PARTICIPANT:
        raise CoachError("Only participants have coaches.")
    email = email.strip().lower()
    if not email:
        enrolment.coach, enrolment.coach_since = None, None
        enrolment.save(update_fields=["coach", "coach_since"])
        return enrolment
    if email == enrolment.user.email.lower():
        raise CoachError("Nobody coaches themselves: give another person's address.")
    coach, _ = user_for_email(email=email, display_name=display_name)
    if enrolment.coach_id == coach.pk:
        return enrolment
    organization = enrolment.cohort.organization
    membership_ensure(organization=organization, user=coach, role=Role.COACH)
    if not coach.has_usable_password():
        invitation_create(
            organization=organization,
            email=coach.email,
            role=Role.COACH,
            invited_by=set_by,
            display_name=display_name or coach.display_name,
        )
    enrolment.coach, enrolment.coach_since = coach, clock.now()
    enrolment.save(update_fields=["coach", "coach_since"])
    coaches_welcome(cohort=enrolment.cohort, coach_ids={coach.pk})
    return enrolment


def coaches_welcome(*, cohort: Cohort, coach_ids: set[int]) -> None:
    """After people of `cohort` were given coaches: plan the cohort's prompts and observation
    rounds, and tell coaches who can already sign in (the others get their invitation)."""
    coaching_plan(cohort=cohort)
    coaches = [
        u for u in User.objects.filter(pk__in=coach_ids, is_active=True) if u.has_usable_password()
    ]
    notify_many(
        [
            Notice(
                user=coach,
                key=f"coaching-welcome:{cohort.pk}",
                kind=EmailKind.COACHING,
                title=f"You coach people in {cohort.name}",
                body=(
                    f"{cohort.organization.name} asked you to coach people in {cohort.name}. "
                    "Your coaching page shows how they are doing; you will get a few "
                    "conversation starters after the workshop."
                ),
                url=reverse("coaching:home"),
            )
            for coach in coaches
        ]
    )


# Planning the cohort's coaching rows


def _send_time(cohort: Cohort) -> time:
    """The start of the cohort's send window (its sparks' settings), else 09:00 local."""
    window = SparkSchedule.objects.filter(cohort=cohort).values_list("window_start", flat=True)
    return window.first() or time(9, 0)


def coaching_plan(*, cohort: Cohort) -> None:
    """Make the cohort's coaching prompts and observation rounds exist and be due at their
    moments; pending ones move with the sessions. A moment that passed before the cohort had a
    coach is skipped, never sent late. Runs any number of times."""
    at = _send_time(cohort)
    now = clock.now()
    if not hasattr(cohort, "last_session_end"):
        # The session bounds once, for the six moments below.
        cohort = Cohort.objects.with_schedule().select_related("organization").get(pk=cohort.pk)

    def moment(offset_days: int):
        return anchored_moment(cohort, anchor=Anchor.AFTER_LAST, offset_days=offset_days, at=at)

    boosters = {b.offset_days: b for b in CoachingBooster.objects.filter(cohort=cohort)}
    for offset_days, label, starter in DEFAULT_BOOSTERS:
        _plan_row(
            CoachingBooster,
            boosters.get(offset_days),
            moment(offset_days),
            now,
            cohort=cohort,
            offset_days=offset_days,
            label=label,
            starter=starter,
        )
    rounds = {r.offset_days: r for r in ObservationRound.objects.filter(cohort=cohort)}
    for offset_days, label in OBSERVATION_DAYS:
        _plan_row(
            ObservationRound,
            rounds.get(offset_days),
            moment(offset_days),
            now,
            cohort=cohort,
            offset_days=offset_days,
            label=label,
        )


def _plan_row(model, row, due_at, now, **fields) -> None:
    if due_at is None:
        return
    status = DueStatus.PENDING if due_at >= now - LATE_BY_AT_MOST else DueStatus.CANCELLED
    if row is None:
        model.objects.create(due_at=due_at, status=status, **fields)
    elif row.status == DueStatus.PENDING and row.due_at != due_at:
        model.objects.filter(pk=row.pk, status=DueStatus.PENDING).update(
            due_at=due_at, status=status
        )


def coaching_follow_schedule(*, cohort: Cohort, previous_time_zone: str) -> None:
    """The sessions moved (cohorts.hooks): so do the pending prompts of a cohort with coaches."""
    if Enrolment.objects.filter(cohort=cohort, coach__isnull=False).exists():
        coaching_plan(cohort=cohort)


def booster_starter_update(*, booster: CoachingBooster, starter: str) -> CoachingBooster:
    """Change a prompt's starter while it waits to go out; refused once a worker has taken it (a
    send may be under way) or it was sent or skipped."""
    changed = CoachingBooster.objects.filter(pk=booster.pk, status=DueStatus.PENDING).update(
        starter=starter
    )
    if not changed:
        raise CoachError("This prompt has gone out already; it can no longer change.")
    booster.starter = starter
    return booster


# Conversation starters


def _first_name(user: User) -> str:
    return user.name.split()[0] if user.name.split() else user.name


def conversation_starter(
    *, starter: str, user: User, objectives: list[str], recent: dict[str, tuple[int, int]]
) -> str:
    """The booster's starter for one person, focused on the objective their recent answers show
    they are least sure of, and what those answers were."""
    name = _first_name(user)
    answered = {o: r for o, r in recent.items() if r[1]}
    shaky = sorted(
        ((right / asked, o) for o, (right, asked) in answered.items() if right < asked),
    )
    untried = [o for o in objectives if o not in answered]
    if shaky:
        focus = shaky[0][1]
        right, asked = answered[focus]
        detail = f" Recently {name} was unsure about it ({right} of {asked} answers right)."
    elif answered:
        focus = untried[0] if untried else sorted(answered)[0]
        detail = f" {name}'s recent answers were all right: ask for an example from work."
    else:
        focus = objectives[0] if objectives else selectors.NO_OBJECTIVE
        detail = f" {name} has not answered any questions lately."
    text = starter.format_map({"name": name, "objective": focus})
    return text + detail


# Sending prompts


def _coached_by_cohort(cohort_ids: set[int]) -> dict[int, list[Enrolment]]:
    enrolments = (
        Enrolment.objects.filter(
            cohort_id__in=cohort_ids,
            role=CohortRole.PARTICIPANT,
            coach__isnull=False,
            coach__is_active=True,
        )
        .select_related("user", "coach", "coach__notification_preference")
        .order_by("user__display_name", "user__email")
    )
    found: dict[int, list[Enrolment]] = defaultdict(list)
    for enrolment in enrolments:
        found[enrolment.cohort_id].append(enrolment)
    return found


def _by_coach(enrolments: list[Enrolment]) -> dict[int, list[Enrolment]]:
    found: dict[int, list[Enrolment]] = defaultdict(list)
    for enrolment in enrolments:
        found[enrolment.coach_id].append(enrolment)
    return found


def boosters_send(boosters: list[CoachingBooster]) -> dict:
    """Work of the `coaching_booster` due kind: each coach of each cohort gets one email and
    in-app item listing a conversation starter per person. A fixed number of queries per batch;
    the notification key makes a second run tell nobody again."""
    cohorts = Cohort.objects.select_related("organization").in_bulk({b.cohort_id for b in boosters})
    coached = _coached_by_cohort(set(cohorts))
    everyone = [e for people in coached.values() for e in people]
    objectives = selectors.cohort_objectives(set(cohorts))
    recent = selectors.recent_results(everyone, since=clock.now() - RECENT_ANSWERS)
    notices, told = [], {}
    for booster in boosters:
        cohort = cohorts[booster.cohort_id]
        people_by_coach = _by_coach(coached.get(cohort.pk, []))
        for people in people_by_coach.values():
            starters = [
                (
                    e.user.name,
                    conversation_starter(
                        starter=booster.starter,
                        user=e.user,
                        objectives=objectives.get(cohort.pk, []),
                        recent=recent.get((e.user_id, cohort.pk), {}),
                    ),
                )
                for e in people
            ]
            notices.append(_prompt_notice(booster, cohort, people[0].coach, starters))
        told[booster.pk] = len(people_by_coach)
    notify_many(notices)
    now = clock.now()
    for booster in boosters:
        booster.sent_at, booster.coaches_told = now, told[booster.pk]
    CoachingBooster.objects.bulk_update(boosters, ["sent_at", "coaches_told"])
    return {}


def _prompt_notice(booster, cohort, coach, starters) -> Notice:
    title = f"Coaching, {booster.label} after {cohort.name}: {len(starters)} conversation" + (
        "s" if len(starters) != 1 else ""
    )
    return _coaching_notice(
        coach,
        key=f"coaching-prompt:{booster.pk}",
        title=title,
        body="\n".join(f"{name}: {text}" for name, text in starters),
        template="coaching_prompt",
        context={"cohort": cohort, "booster": booster, "starters": starters},
    )


def _coaching_notice(
    coach, *, key: str, title: str, body: str, template: str, context: dict
) -> Notice:
    """A notice to a coach pointing at their coaching page, emailed with `template`."""
    url = reverse("coaching:home")
    email = EmailTemplate(
        template,
        {
            "kind_label": unsubscribe_label(EmailKind.COACHING),
            "title": title,
            "url": absolute_url(url),
            **context,
        },
    )
    return Notice(
        user=coach, key=key, kind=EmailKind.COACHING, title=title, body=body, url=url, email=email
    )


# Observation rounds


def observation_rounds_step(rounds: list[ObservationRound]) -> dict:
    """Work of the `observation_round` due kind: ask every coach of the cohort to rate their
    people (one email each, a signed link per person), then remind once those who left someone
    unrated."""
    cohorts = Cohort.objects.select_related("organization").in_bulk({r.cohort_id for r in rounds})
    coached = _coached_by_cohort(set(cohorts))
    objectives = selectors.cohort_objectives(set(cohorts))
    rated = set(
        Observation.objects.filter(round__in=rounds)
        .values_list("round_id", "enrolment_id")
        .distinct()
    )
    now = clock.now()
    notices, again, changed = [], {}, []
    for round_ in rounds:
        cohort = cohorts[round_.cohort_id]
        if not objectives.get(cohort.pk):
            # Nothing to observe: the cohort's questions name no learning objective.
            continue
        changed.append(round_)
        reminding = round_.step == ObservationStep.REMIND
        for people in _by_coach(coached.get(cohort.pk, [])).values():
            if reminding:
                people = [e for e in people if (round_.pk, e.pk) not in rated]
            if people:
                notices.append(_observation_notice(round_, cohort, people, reminding=reminding))
        if reminding:
            round_.reminded_at = now
        else:
            round_.step, round_.opened_at = ObservationStep.REMIND, now
            again[round_.pk] = now + OBSERVATION_REMIND_AFTER
    ObservationRound.objects.bulk_update(changed, ["step", "opened_at", "reminded_at"])
    notify_many(notices)
    return again


def _observation_notice(round_, cohort, people, *, reminding: bool) -> Notice:
    coach = people[0].coach
    links_ = [
        (
            e.user.name,
            absolute_url(
                links.observation_link_path(
                    round_id=round_.pk, enrolment_id=e.pk, coach_id=coach.pk
                )
            ),
        )
        for e in people
    ]
    what = "Reminder: how" if reminding else "How"
    return _coaching_notice(
        coach,
        key=f"coaching-{'remind' if reminding else 'observe'}:{round_.pk}",
        title=f"{what} often have you seen it applied? {cohort.name}, {round_.label}",
        body="Rate, per learning objective, how often you saw "
        + ", ".join(name for name, _ in links_)
        + " apply it: never, once, a few times or routinely.",
        template="coaching_observe",
        context={"cohort": cohort, "round": round_, "people": links_},
    )


@transaction.atomic
def observations_save(
    *,
    round_: ObservationRound,
    enrolment: Enrolment,
    coach: User,
    ratings: dict[str, tuple[int, str]],
) -> int:
    """Record the coach's ratings, one per objective; rating again replaces the earlier one."""
    now = clock.now()
    rows = [
        Observation(
            round=round_,
            enrolment=enrolment,
            coach=coach,
            objective=objective,
            frequency=Frequency(frequency),
            note=note,
            created_at=now,
            updated_at=now,
        )
        for objective, (frequency, note) in ratings.items()
    ]
    Observation.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["round", "enrolment", "objective"],
        update_fields=["frequency", "note", "coach", "updated_at"],
    )
    return len(rows)
