"""The main pages of each role in the demo organisation, for the sweeps over them (axe-core in
test_accessibility.py, the phone's width in test_phone_layout.py).

The demo is `seed_demo`'s, seeded once per run (tests/demo_snapshot.py), plus three sparks
waiting for the demo participant (one right answer, several, open) and one already answered, so
each state of the answer page is visited.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count
from playwright.sync_api import expect

from accounts.models import User
from coaching.models import Observation, ObservationRound
from cohorts.models import Cohort, Enrolment
from demo.seeding import DEMO_LOGINS
from demo.sparks import PAST_COHORT, RECENT_COHORT
from discussions.models import Thread
from notifications import scheduling
from socialtraining import clock
from sparks import answering, planning
from sparks.models import Delivery, Spark, SparkKind, SparkTarget
from surveys.access import rounds_waiting_for
from surveys.models import Round

COACH_LOGIN = "coach@demo.test"
# The demo's people whose pages are swept: manager, instructor, participant and coach.
EMAILS = (*DEMO_LOGINS, COACH_LOGIN)


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    # Something to do on the page before checking it (submitting a form empty, say).
    then: Callable | None = None


def settled(page) -> None:
    """Wait until what htmx loads on arrival (the navigation's Insights link, say) is in."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def submit_empty(button: str):
    def then(page):
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator("#error-summary")).to_be_focused()

    return then


def _spark(cohort: Cohort, kind: str, question: str, choices=()) -> Spark:
    return planning.spark_save(
        cohort=cohort,
        spark=None,
        fields={
            "kind": kind,
            "question": question,
            "explanation": "Shared notes keep everyone on the same page.",
            "objective": "",
            "ask_confidence": kind == SparkKind.KNOWLEDGE,
            "target": SparkTarget.COHORT,
        },
        offset_days=3,
        choices=list(choices),
    )


def _sparks_waiting(cohort: Cohort, participant: User) -> dict[str, Delivery]:
    """The cohort's sparks sent to the participant now; one open spark answered, after peers."""
    single = _spark(
        cohort,
        SparkKind.KNOWLEDGE,
        "Which tool keeps a hybrid meeting's notes visible to everyone?",
        [("A shared document", True), ("The room's whiteboard", False)],
    )
    open_ = _spark(cohort, SparkKind.OPEN, "Which hybrid ritual did you try this week?")
    answered = _spark(cohort, SparkKind.OPEN, "Who spoke first in your last meeting?")
    several = Spark.objects.get(cohort=cohort, question__startswith="Which meeting practice")
    peers = list(Delivery.objects.filter(spark=answered).exclude(participant=participant)[:3])
    first_asks = Delivery.objects.filter(spark__cohort=cohort, attempt=1)
    first_asks.filter(participant=participant).update(due_at=clock.now())
    first_asks.filter(pk__in=[peer.pk for peer in peers]).update(due_at=clock.now())
    scheduling.dispatch_all()
    for peer in peers:
        answering.spark_answer(delivery=peer, text="The remote people, by agreement.")
    asks = {
        name: Delivery.objects.get(spark=spark, participant=participant, attempt=1)
        for name, spark in (
            ("one right answer", single),
            ("several right answers", several),
            ("open", open_),
            ("answered", answered),
        )
    }
    answering.spark_answer(delivery=asks["answered"], text="Me, from home.")
    return asks


def _busiest_thread(cohort: Cohort) -> Thread:
    return (
        Thread.objects.filter(cohort=cohort, study_group__isnull=True)
        .annotate(posts_count=Count("posts"))
        .order_by("-posts_count", "pk")
        .first()
    )


def main_pages() -> dict[str, list[Page]]:
    """The pages each role works with, in the demo organisation."""
    manager, instructor, participant = (User.objects.get(email=e) for e in DEMO_LOGINS)
    recent = Cohort.objects.get(name=RECENT_COHORT)
    past = Cohort.objects.get(name=PAST_COHORT)
    upcoming = Cohort.objects.exclude(pk__in=[recent.pk, past.pk]).get(
        organization=recent.organization
    )
    org = recent.organization.slug
    group = Enrolment.objects.get(cohort=recent, user=participant).study_group
    asks = _sparks_waiting(recent, participant)
    waiting_round = rounds_waiting_for(participant, clock.now()).first()
    results_round = Round.objects.filter(cohort=past, responses__isnull=False).first()
    survey = past.surveys.first()
    someone = Enrolment.objects.filter(cohort=past, role="participant").order_by("pk").first()
    coach = User.objects.get(email=COACH_LOGIN)
    coached = Enrolment.objects.filter(cohort=past, coach=coach).order_by("pk").first()
    observing = ObservationRound.objects.filter(cohort=past, opened_at__isnull=False).last()
    # The form as a coach finds it before rating: whether the demo's coach already rated this
    # person in the latest open round depends on the day the demo was seeded.
    Observation.objects.filter(round=observing, enrolment=coached).delete()
    observe = f"/coaching/observations/{observing.pk}/people/{coached.pk}/"
    header = [
        Page("home", "/"),
        Page("notifications", "/notifications/"),
        Page("notification preferences", "/notifications/preferences/"),
        Page("your sparks", "/sparks/"),
        Page("account email", "/accounts/email/"),
    ]
    coach_pages = [
        *header,
        Page("people you coach", "/coaching/"),
        Page("a coached person", f"/coaching/people/{coached.pk}/"),
        Page("observation form", observe),
        Page(
            "observation form after an empty submit",
            observe,
            then=submit_empty("Save observations"),
        ),
    ]
    participant_pages = [
        *header,
        Page("cohort", f"/cohorts/{recent.pk}/"),
        Page("cohort discussions", f"/cohorts/{recent.pk}/discussions/"),
        Page("study group discussions", f"/cohorts/{recent.pk}/groups/{group.pk}/discussions/"),
        Page("thread", f"/cohorts/{recent.pk}/threads/{_busiest_thread(recent).pk}/"),
        Page("new thread", f"/cohorts/{recent.pk}/discussions/new/"),
        Page("search", f"/cohorts/{recent.pk}/discussions/search/?q=team"),
        Page("people", f"/cohorts/{recent.pk}/people/"),
        Page("study groups", f"/cohorts/{recent.pk}/groups/"),
        Page("survey form", f"/cohorts/{recent.pk}/surveys/rounds/{waiting_round.pk}/"),
        Page(
            "survey form after an empty submit",
            f"/cohorts/{recent.pk}/surveys/rounds/{waiting_round.pk}/",
            then=submit_empty("Submit"),
        ),
        *(Page(f"spark: {name}", f"/sparks/{ask.pk}/") for name, ask in asks.items()),
        Page(
            "spark after an empty answer",
            f"/sparks/{asks['one right answer'].pk}/",
            then=submit_empty("Answer"),
        ),
        Page("spark settings", f"/sparks/cohorts/{recent.pk}/settings/"),
        Page("your coach", f"/cohorts/{recent.pk}/coach/"),
    ]
    teaching = [
        Page("cohort", f"/cohorts/{past.pk}/"),
        Page("people", f"/cohorts/{past.pk}/people/"),
        Page("study groups", f"/cohorts/{past.pk}/groups/"),
        Page("study group", f"/cohorts/{recent.pk}/groups/{group.pk}/"),
        Page("roster import", f"/cohorts/{recent.pk}/roster/"),
        Page("cohort discussions", f"/cohorts/{past.pk}/discussions/"),
        Page("long thread", f"/cohorts/{past.pk}/threads/{_busiest_thread(past).pk}/"),
        Page("moderation queue", f"/cohorts/{recent.pk}/discussions/moderation/"),
        Page("prompt timeline", f"/cohorts/{recent.pk}/prompts/"),
        Page("new prompt", f"/cohorts/{recent.pk}/prompts/new/"),
        Page("surveys", f"/cohorts/{past.pk}/surveys/"),
        Page("survey builder", f"/cohorts/{past.pk}/surveys/{survey.pk}/"),
        Page("survey preview", f"/cohorts/{past.pk}/surveys/{survey.pk}/preview/"),
        Page("round results", f"/cohorts/{past.pk}/surveys/rounds/{results_round.pk}/results/"),
        Page("survey retention", f"/cohorts/{past.pk}/surveys/retention/"),
        Page("spark plan", f"/cohorts/{past.pk}/sparks/"),
        Page("new spark", f"/cohorts/{past.pk}/sparks/new/"),
        Page("spark send settings", f"/cohorts/{past.pk}/sparks/settings/"),
        Page("cohort insights", f"/cohorts/{past.pk}/insights/"),
        Page("participant insights", f"/cohorts/{past.pk}/insights/people/{someone.pk}/"),
        Page("cohort coaching", f"/cohorts/{past.pk}/coaching/"),
    ]
    managing = [
        Page("organisation people", f"/org/{org}/people/"),
        Page("new cohort", f"/org/{org}/cohorts/new/"),
        Page("edit cohort", f"/cohorts/{upcoming.pk}/edit/"),
        Page("insights", "/insights/"),
        Page("compare cohorts", f"/insights/compare/?cohort={past.pk}&cohort={recent.pk}"),
        Page("exports and LRS", f"/org/{org}/xapi/"),
        Page("set a coach", f"/cohorts/{past.pk}/people/{someone.pk}/coach/"),
    ]
    return {
        manager.email: [*header, *managing, *teaching],
        instructor.email: [*header, *teaching],
        participant.email: participant_pages,
        coach.email: coach_pages,
    }
