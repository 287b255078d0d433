"""Every URL, every persona: the status each must get.

Personas (see tests/conftest.py): the organisation's manager, the cohort's instructor, a participant
of the cohort (in study group Blue), a participant of another cohort of the same organisation, a
manager of another organisation, an anonymous visitor, and two coaches: the participant's coach and
a coach of someone else (a participant of the other group). A coach reaches only their own people's
pages: unless a case says otherwise (`coaches`), coaches get what any signed-in person gets (a page
every member reaches) and 404 everywhere else. Anything a persona may not reach is a
404, so ids reveal nothing; anonymous visitors are sent to sign in. Writes are sent with an empty
form, so "allowed" means the view answered (a page, a redirect or a 400 with the form), not 404.

The world and the rows of `_ids` are built once for the module (`module_world`, rolled back after
it), and each persona signs in once for it (`module_sessions`); every case runs in its own
savepoint on top, so one persona's write never changes what the next one sees.

To add a case: append a `Case(name, url, method, expected)` to CASES, with `expected` one of the
rows below (or a tuple of six outcomes in PERSONAS order), `coaches=(coach, other coach)` when the
coaches' outcomes differ from that rule, and `htmx=True` for an htmx request.
When the URL needs an object the world lacks, create it in `_ids` and return its pk under a new
key, then use `{key}` in the URL. Every case runs for the eight personas; the run's summary prints
how many URL x persona cases ran (tests/conftest.py), a number that only grows.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from accounts.models import Invitation, Membership
from coaching.models import CoachingBooster, ObservationRound
from cohorts.models import Enrolment, RosterImport
from discussions.models import Post, Prompt, Thread
from insights.models import ConfidentWrongAlert
from insights.rollups import rollups_refresh
from notifications.services import unsubscribe_token
from socialtraining import clock
from sparks.models import Delivery, Spark
from surveys import rounds
from surveys.models import Question, Round, RoundStatus, Survey

PERSONAS = [
    "manager",
    "instructor",
    "participant",
    "other_cohort_participant",
    "outsider",
    "anonymous",
    "coach",
    "other_coach",
]
OK, NOT_FOUND, SIGN_IN = "ok", 404, "sign in"


@dataclass(frozen=True)
class Case:
    name: str
    url: str  # a format string over the ids below
    method: str
    expected: tuple  # one outcome per persona but the coaches, in PERSONAS order
    htmx: bool = False
    coaches: tuple | None = None  # (the participant's coach, a coach of someone else)

    @property
    def outcomes(self) -> tuple:
        coaches = self.coaches
        if coaches is None:
            # What the other cohort's participant and the outsider both reach, any member does.
            anyone = self.expected[3] == OK and self.expected[4] == OK
            coaches = (OK, OK) if anyone else (NOT_FOUND, NOT_FOUND)
        return self.expected + coaches


#            manager    instructor participant other_cohort outsider   anonymous
VIEW = (OK, OK, OK, NOT_FOUND, NOT_FOUND, SIGN_IN)
TEACH = (OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, SIGN_IN)
MANAGE = (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, SIGN_IN)
ANY_MEMBER = (OK, OK, OK, OK, OK, SIGN_IN)
OWN_GROUP = (OK, OK, OK, NOT_FOUND, NOT_FOUND, SIGN_IN)
OTHER_GROUP = (OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, SIGN_IN)
# A survey form is its participant's alone: not even the cohort's instructors or managers see it.
OWN_FORM = (NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, SIGN_IN)
# The other cohort of the same organisation: its managers only (this cohort's instructor is not
# its instructor).
OTHER_COHORT_TEACH = (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, SIGN_IN)
# Sparks settings are a cohort participant's own: instructors and managers get none.
COHORT_PARTICIPANT = (NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, SIGN_IN)
# A bad or tampered link is a 400 page for everyone, signed in or not.
ANYONE = (OK, OK, OK, OK, OK, OK)
# Any manager, of whichever organisation they manage.
MANAGERS = (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, SIGN_IN)

CASES = [
    Case("home", "/", "get", ANY_MEMBER),
    Case("notifications", "/notifications/", "get", ANY_MEMBER),
    Case("notification badge", "/notifications/badge/", "get", ANY_MEMBER, htmx=True),
    Case("mark notifications read", "/notifications/read/", "post", ANY_MEMBER),
    Case("mark notifications read (htmx)", "/notifications/read/", "post", ANY_MEMBER, htmx=True),
    Case("organisation people", "/org/{org}/people/", "get", MANAGE),
    Case("invite someone", "/org/{org}/people/", "post", MANAGE),
    Case("change a member's role", "/org/{org}/people/{membership}/role/", "post", MANAGE),
    Case("resend an invitation", "/org/{org}/invitations/{invitation}/resend/", "post", MANAGE),
    Case(
        "revoke an invitation",
        "/org/{org}/invitations/{invitation}/revoke/",
        "post",
        MANAGE,
        htmx=True,
    ),
    Case("new cohort", "/org/{org}/cohorts/new/", "get", MANAGE),
    Case("create a cohort", "/org/{org}/cohorts/new/", "post", MANAGE),
    Case("cohort page", "/cohorts/{cohort}/", "get", VIEW),
    Case("edit cohort", "/cohorts/{cohort}/edit/", "get", MANAGE),
    Case("save cohort", "/cohorts/{cohort}/edit/", "post", MANAGE),
    Case("people", "/cohorts/{cohort}/people/", "get", VIEW),
    Case("enrol someone", "/cohorts/{cohort}/people/", "post", TEACH),
    Case("remove a participant", "/cohorts/{cohort}/people/{enrolment}/remove/", "post", TEACH),
    Case("move a participant", "/cohorts/{cohort}/people/{enrolment}/group/", "post", TEACH),
    Case("roster upload", "/cohorts/{cohort}/roster/", "get", TEACH),
    Case("roster upload (post)", "/cohorts/{cohort}/roster/", "post", TEACH),
    Case("roster preview", "/cohorts/{cohort}/roster/{roster_import}/", "get", TEACH),
    Case(
        "roster progress (htmx)",
        "/cohorts/{cohort}/roster/{roster_import}/",
        "get",
        TEACH,
        htmx=True,
    ),
    Case("roster confirm", "/cohorts/{cohort}/roster/{roster_import}/", "post", TEACH),
    Case("study groups", "/cohorts/{cohort}/groups/", "get", VIEW),
    Case("create a study group", "/cohorts/{cohort}/groups/", "post", TEACH),
    Case("split into groups", "/cohorts/{cohort}/groups/split/", "post", TEACH),
    Case("own study group", "/cohorts/{cohort}/groups/{group}/", "get", OWN_GROUP),
    Case("another study group", "/cohorts/{cohort}/groups/{other_group}/", "get", OTHER_GROUP),
    Case("rename form (htmx)", "/cohorts/{cohort}/groups/{group}/rename/", "get", TEACH, htmx=True),
    Case("rename a group", "/cohorts/{cohort}/groups/{group}/rename/", "post", TEACH),
    Case("cohort discussions", "/cohorts/{cohort}/discussions/", "get", VIEW),
    Case("cohort discussions (htmx)", "/cohorts/{cohort}/discussions/", "get", VIEW, htmx=True),
    Case("new cohort thread", "/cohorts/{cohort}/discussions/new/", "get", VIEW),
    Case("start a cohort thread", "/cohorts/{cohort}/discussions/new/", "post", VIEW),
    Case(
        "own group discussions", "/cohorts/{cohort}/groups/{group}/discussions/", "get", OWN_GROUP
    ),
    Case(
        "another group's discussions",
        "/cohorts/{cohort}/groups/{other_group}/discussions/",
        "get",
        OTHER_GROUP,
    ),
    Case(
        "start a thread in another group",
        "/cohorts/{cohort}/groups/{other_group}/discussions/new/",
        "post",
        OTHER_GROUP,
    ),
    Case("cohort thread", "/cohorts/{cohort}/threads/{thread}/", "get", VIEW),
    Case("own group thread", "/cohorts/{cohort}/threads/{group_thread}/", "get", OWN_GROUP),
    Case(
        "another group's thread",
        "/cohorts/{cohort}/threads/{other_group_thread}/",
        "get",
        OTHER_GROUP,
    ),
    Case("reply", "/cohorts/{cohort}/threads/{thread}/reply/", "post", VIEW),
    Case("reply (htmx)", "/cohorts/{cohort}/threads/{thread}/reply/", "post", VIEW, htmx=True),
    Case(
        "reply in another group",
        "/cohorts/{cohort}/threads/{other_group_thread}/reply/",
        "post",
        OTHER_GROUP,
    ),
    Case("comment", "/cohorts/{cohort}/threads/{thread}/posts/{reply}/comment/", "post", VIEW),
    Case("comment form", "/cohorts/{cohort}/threads/{thread}/posts/{reply}/comment/", "get", VIEW),
    Case(
        "comment form (htmx)",
        "/cohorts/{cohort}/threads/{thread}/posts/{reply}/comment/",
        "get",
        VIEW,
        True,
    ),
    Case(
        "comment form in another group",
        "/cohorts/{cohort}/threads/{other_group_thread}/posts/{other_group_reply}/comment/",
        "get",
        OTHER_GROUP,
    ),
    Case("prompt timeline", "/cohorts/{cohort}/prompts/", "get", TEACH),
    Case("new prompt", "/cohorts/{cohort}/prompts/new/", "get", TEACH),
    Case("schedule a prompt", "/cohorts/{cohort}/prompts/new/", "post", TEACH),
    Case("edit a prompt", "/cohorts/{cohort}/prompts/{prompt}/edit/", "get", TEACH),
    Case("save a prompt", "/cohorts/{cohort}/prompts/{prompt}/edit/", "post", TEACH),
    Case("cancel a prompt", "/cohorts/{cohort}/prompts/{prompt}/cancel/", "post", TEACH),
    Case(
        "cancel a prompt (htmx)",
        "/cohorts/{cohort}/prompts/{prompt}/cancel/",
        "post",
        TEACH,
        htmx=True,
    ),
    Case("publish a prompt now", "/cohorts/{cohort}/prompts/{prompt}/publish/", "post", TEACH),
    Case(
        "another organisation's prompt",
        "/cohorts/{cohort}/prompts/{outsider_prompt}/edit/",
        "get",
        (NOT_FOUND,) * 5 + (SIGN_IN,),
    ),
    Case(
        "load more replies (htmx)", "/cohorts/{cohort}/threads/{thread}/?page=2", "get", VIEW, True
    ),
    Case("feed by reactions", "/cohorts/{cohort}/discussions/?sort=reactions", "get", VIEW),
    Case("react", "/cohorts/{cohort}/threads/{thread}/posts/{reply}/react/", "post", VIEW),
    Case(
        "react (htmx)",
        "/cohorts/{cohort}/threads/{thread}/posts/{reply}/react/",
        "post",
        VIEW,
        True,
    ),
    Case(
        "react in another group",
        "/cohorts/{cohort}/threads/{other_group_thread}/posts/{other_group_reply}/react/",
        "post",
        OTHER_GROUP,
    ),
    Case("endorse", "/cohorts/{cohort}/threads/{thread}/posts/{reply}/endorse/", "post", TEACH),
    Case("moderate", "/cohorts/{cohort}/threads/{thread}/posts/{reply}/moderate/", "get", TEACH),
    Case(
        "moderate (htmx)",
        "/cohorts/{cohort}/threads/{thread}/posts/{reply}/moderate/",
        "get",
        TEACH,
        True,
    ),
    Case(
        "moderate in another group",
        "/cohorts/{cohort}/threads/{other_group_thread}/posts/{other_group_reply}/moderate/",
        "get",
        TEACH,
    ),
    Case("pin a thread", "/cohorts/{cohort}/threads/{thread}/pin/", "post", TEACH),
    Case("lock a thread", "/cohorts/{cohort}/threads/{thread}/lock/", "post", TEACH),
    Case(
        "lock another group's thread",
        "/cohorts/{cohort}/threads/{other_group_thread}/lock/",
        "post",
        TEACH,
    ),
    # Only the author may edit (the participant persona wrote {reply}); others see why, as a 400.
    Case("edit a post", "/cohorts/{cohort}/threads/{thread}/posts/{reply}/edit/", "get", VIEW),
    Case("save a post", "/cohorts/{cohort}/threads/{thread}/posts/{reply}/edit/", "post", VIEW),
    Case(
        "edit a post in another group",
        "/cohorts/{cohort}/threads/{other_group_thread}/posts/{other_group_reply}/edit/",
        "get",
        OTHER_GROUP,
    ),
    Case("remove a post", "/cohorts/{cohort}/threads/{thread}/posts/{reply}/remove/", "post", VIEW),
    Case(
        "mention autocomplete",
        "/cohorts/{cohort}/threads/{thread}/mentions/?q=a",
        "get",
        VIEW,
        True,
    ),
    Case(
        "mention autocomplete in another group",
        "/cohorts/{cohort}/threads/{other_group_thread}/mentions/?q=a",
        "get",
        OTHER_GROUP,
    ),
    Case(
        "mention autocomplete, new thread", "/cohorts/{cohort}/discussions/mentions/", "get", VIEW
    ),
    Case(
        "mention autocomplete, new thread in another group",
        "/cohorts/{cohort}/groups/{other_group}/discussions/mentions/",
        "get",
        OTHER_GROUP,
    ),
    Case("follow a thread", "/cohorts/{cohort}/threads/{thread}/follow/", "post", VIEW),
    Case("follow (htmx)", "/cohorts/{cohort}/threads/{thread}/follow/", "post", VIEW, True),
    Case(
        "follow another group's thread",
        "/cohorts/{cohort}/threads/{other_group_thread}/follow/",
        "post",
        OTHER_GROUP,
    ),
    Case("notification preferences", "/notifications/preferences/", "get", ANY_MEMBER),
    Case("save notification preferences", "/notifications/preferences/", "post", ANY_MEMBER),
    # Signed out by design: the signed link in the digest is the credential, so everyone,
    # anonymous included, gets the confirm page (and a 400 "not valid" for a bad token).
    Case("unsubscribe (confirm)", "/notifications/unsubscribe/{unsubscribe}/", "get", ANYONE),
    Case("unsubscribe", "/notifications/unsubscribe/{unsubscribe}/", "post", ANYONE),
    Case(
        "remove a post in another group",
        "/cohorts/{cohort}/threads/{other_group_thread}/posts/{other_group_reply}/remove/",
        "post",
        OTHER_GROUP,
    ),
    Case("flag form", "/cohorts/{cohort}/threads/{thread}/posts/{reply}/flag/", "get", VIEW),
    Case("flag a post", "/cohorts/{cohort}/threads/{thread}/posts/{reply}/flag/", "post", VIEW),
    Case(
        "flag a post (htmx)",
        "/cohorts/{cohort}/threads/{thread}/posts/{reply}/flag/",
        "post",
        VIEW,
        htmx=True,
    ),
    Case(
        "flag a post in another group",
        "/cohorts/{cohort}/threads/{other_group_thread}/posts/{other_group_reply}/flag/",
        "post",
        OTHER_GROUP,
    ),
    Case("moderation queue", "/cohorts/{cohort}/discussions/moderation/", "get", TEACH),
    Case("hide a post", "/cohorts/{cohort}/threads/{thread}/posts/{reply}/hide/", "post", TEACH),
    Case(
        "restore a post",
        "/cohorts/{cohort}/threads/{thread}/posts/{reply}/restore/",
        "post",
        TEACH,
    ),
    Case(
        "dismiss flags (htmx)",
        "/cohorts/{cohort}/threads/{thread}/posts/{reply}/dismiss/",
        "post",
        TEACH,
        htmx=True,
    ),
    Case(
        "hide a post in another group",
        "/cohorts/{cohort}/threads/{other_group_thread}/posts/{other_group_reply}/hide/",
        "post",
        TEACH,
    ),
    Case("search", "/cohorts/{cohort}/discussions/search/?q=hi", "get", VIEW),
    Case("search (htmx)", "/cohorts/{cohort}/discussions/search/?q=hi", "get", VIEW, htmx=True),
    # Surveys: building and scheduling.
    Case("surveys", "/cohorts/{cohort}/surveys/", "get", TEACH),
    Case("new survey", "/cohorts/{cohort}/surveys/new/", "get", TEACH),
    Case("create a survey", "/cohorts/{cohort}/surveys/new/", "post", TEACH),
    Case("survey builder", "/cohorts/{cohort}/surveys/{survey}/", "get", TEACH),
    Case("survey settings", "/cohorts/{cohort}/surveys/{survey}/settings/", "get", TEACH),
    Case("save survey settings", "/cohorts/{cohort}/surveys/{survey}/settings/", "post", TEACH),
    Case("survey preview", "/cohorts/{cohort}/surveys/{survey}/preview/", "get", TEACH),
    Case("new survey version", "/cohorts/{cohort}/surveys/{survey}/new-version/", "post", TEACH),
    Case("new question", "/cohorts/{cohort}/surveys/{survey}/questions/new/", "get", TEACH),
    Case(
        "add a question",
        "/cohorts/{cohort}/surveys/{survey}/questions/new/?kind=likert",
        "post",
        TEACH,
    ),
    Case("question", "/cohorts/{cohort}/surveys/{survey}/questions/{question}/", "get", TEACH),
    Case(
        "save a question", "/cohorts/{cohort}/surveys/{survey}/questions/{question}/", "post", TEACH
    ),
    Case(
        "delete a question",
        "/cohorts/{cohort}/surveys/{survey}/questions/{question}/delete/",
        "post",
        TEACH,
    ),
    Case(
        "move a question (htmx)",
        "/cohorts/{cohort}/surveys/{survey}/questions/{question}/move/",
        "post",
        TEACH,
        htmx=True,
    ),
    Case("schedule form", "/cohorts/{cohort}/surveys/{survey}/rounds/new/", "get", TEACH),
    Case("schedule a round", "/cohorts/{cohort}/surveys/{survey}/rounds/new/", "post", TEACH),
    Case(
        "schedule the standard rounds",
        "/cohorts/{cohort}/surveys/{survey}/rounds/standard/",
        "post",
        TEACH,
    ),
    Case("move round form", "/cohorts/{cohort}/surveys/rounds/{round}/edit/", "get", TEACH),
    Case("move a round", "/cohorts/{cohort}/surveys/rounds/{round}/edit/", "post", TEACH),
    Case("cancel a round", "/cohorts/{cohort}/surveys/rounds/{round}/cancel/", "post", TEACH),
    Case(
        "another cohort's survey",
        "/cohorts/{cohort}/surveys/{other_survey}/",
        "get",
        (NOT_FOUND,) * 5 + (SIGN_IN,),
    ),
    Case(
        "another cohort's round",
        "/cohorts/{cohort}/surveys/rounds/{other_round}/cancel/",
        "post",
        (NOT_FOUND,) * 5 + (SIGN_IN,),
    ),
    Case("survey link (tampered)", "/surveys/link/not-a-token/", "get", ANYONE),
    Case("survey form", "/cohorts/{cohort}/surveys/rounds/{open_round}/", "get", OWN_FORM),
    Case("spark link (tampered)", "/sparks/link/not-a-token/", "get", ANYONE),
    Case("spark ask", "/sparks/{delivery}/", "get", OWN_FORM),
    Case("answer a spark", "/sparks/{delivery}/", "post", OWN_FORM),
    Case("spark ask peers (htmx)", "/sparks/{delivery}/", "get", OWN_FORM, htmx=True),
    Case("spark one-click link (tampered)", "/sparks/pick/not-a-token/", "get", ANYONE),
    Case("spark confidence", "/sparks/{delivery}/confidence/", "post", OWN_FORM),
    Case("sparks inbox", "/sparks/", "get", ANY_MEMBER),
    Case("spark settings", "/sparks/cohorts/{cohort}/settings/", "get", COHORT_PARTICIPANT),
    Case("pause sparks", "/sparks/cohorts/{cohort}/settings/", "post", COHORT_PARTICIPANT),
    Case("submit a survey", "/cohorts/{cohort}/surveys/rounds/{open_round}/", "post", OWN_FORM),
    Case("save a draft", "/cohorts/{cohort}/surveys/rounds/{open_round}/draft/", "post", OWN_FORM),
    Case(
        "autosave a draft (htmx)",
        "/cohorts/{cohort}/surveys/rounds/{open_round}/draft/",
        "post",
        OWN_FORM,
        htmx=True,
    ),
    Case(
        "another cohort's survey form",
        "/cohorts/{other_cohort}/surveys/rounds/{other_open_round}/",
        "get",
        (NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, NOT_FOUND, SIGN_IN),
    ),
    Case("round results", "/cohorts/{cohort}/surveys/rounds/{open_round}/results/", "get", TEACH),
    Case(
        "round results CSV",
        "/cohorts/{cohort}/surveys/rounds/{open_round}/results.csv",
        "get",
        TEACH,
    ),
    Case("cohort survey results", "/cohorts/{cohort}/surveys/retention/", "get", TEACH),
    # --- Instructor spark plan (sparks/plan_views.py) ---
    Case("spark plan", "/cohorts/{cohort}/sparks/", "get", TEACH),
    Case("new spark", "/cohorts/{cohort}/sparks/new/", "get", TEACH),
    Case("write a spark", "/cohorts/{cohort}/sparks/new/", "post", TEACH),
    Case("add the 2+2+2 boosters", "/cohorts/{cohort}/sparks/two-two-two/", "post", TEACH),
    Case("spark send settings", "/cohorts/{cohort}/sparks/settings/", "get", TEACH),
    Case("save spark send settings", "/cohorts/{cohort}/sparks/settings/", "post", TEACH),
    Case("edit a spark", "/cohorts/{cohort}/sparks/{spark}/edit/", "get", TEACH),
    Case("save a spark", "/cohorts/{cohort}/sparks/{spark}/edit/", "post", TEACH),
    Case("reschedule a spark", "/cohorts/{cohort}/sparks/{spark}/reschedule/", "post", TEACH),
    Case(
        "reschedule a spark (htmx)",
        "/cohorts/{cohort}/sparks/{spark}/reschedule/",
        "post",
        TEACH,
        htmx=True,
    ),
    Case("cancel a spark", "/cohorts/{cohort}/sparks/{spark}/cancel/", "post", TEACH),
    Case("send a spark now", "/cohorts/{cohort}/sparks/{spark}/send-now/", "post", TEACH),
    Case("measure the lift", "/cohorts/{cohort}/sparks/lift/", "get", TEACH),
    Case("start measuring the lift", "/cohorts/{cohort}/sparks/lift/start/", "post", TEACH),
    Case("stop measuring the lift", "/cohorts/{cohort}/sparks/lift/stop/", "post", TEACH),
    Case(
        "send a spark now (htmx)",
        "/cohorts/{cohort}/sparks/{spark}/send-now/",
        "post",
        TEACH,
        htmx=True,
    ),
    Case(
        "another organisation's spark",
        "/cohorts/{cohort}/sparks/{outsider_spark}/edit/",
        "get",
        (NOT_FOUND,) * 5 + (SIGN_IN,),
    ),
    Case(
        "post into a spark form",
        "/cohorts/{cohort}/threads/{thread}/posts/{reply}/spark/",
        "get",
        TEACH,
    ),
    Case(
        "turn a post into a spark",
        "/cohorts/{cohort}/threads/{thread}/posts/{reply}/spark/",
        "post",
        TEACH,
    ),
    Case(
        "turn another group's post into a spark",
        "/cohorts/{cohort}/threads/{other_group_thread}/posts/{other_group_reply}/spark/",
        "get",
        TEACH,
    ),
    # xAPI exports and the Learning Record Store (xapi app).
    Case("exports and LRS settings", "/org/{org}/xapi/", "get", MANAGE),
    Case("save LRS settings", "/org/{org}/xapi/", "post", MANAGE),
    Case("organisation xAPI statements", "/org/{org}/xapi/statements.json", "get", MANAGE),
    Case("cohort xAPI statements", "/cohorts/{cohort}/xapi/statements.json", "get", TEACH),
    Case(
        "another organisation's cohort xAPI statements",
        "/cohorts/{outsider_cohort}/xapi/statements.json",
        "get",
        (NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, SIGN_IN),
    ),
    # Insights: managers only, each their own organisation (the outsider manages another one).
    Case("organisation insights", "/insights/", "get", MANAGERS),
    Case("organisation insights by slug", "/insights/?org={org}", "get", MANAGE),
    Case("organisation lift", "/insights/lift/?org={org}", "get", MANAGE),
    Case("organisation lift (htmx)", "/insights/lift/?org={org}", "get", MANAGE, htmx=True),
    Case("insights table (htmx)", "/insights/?org={org}&sort=name", "get", MANAGE, htmx=True),
    Case("cohort metrics CSV", "/insights/cohorts.csv?org={org}", "get", MANAGE),
    Case("insights chart CSV", "/insights/charts/retention.csv?org={org}", "get", MANAGE),
    Case(
        "compare cohorts",
        "/insights/compare/?cohort={cohort}&cohort={other_cohort}",
        "get",
        MANAGE,
    ),
    # --- Cohort dashboard (insights/cohort/views.py) ---
    Case("cohort dashboard", "/cohorts/{cohort}/insights/", "get", TEACH),
    Case("cohort lift", "/cohorts/{cohort}/insights/lift/", "get", TEACH),
    Case("cohort lift (htmx)", "/cohorts/{cohort}/insights/lift/", "get", TEACH, htmx=True),
    Case("cohort lift CSV", "/cohorts/{cohort}/insights/lift.csv", "get", TEACH),
    Case("sure but wrong", "/cohorts/{cohort}/insights/confident-wrong/", "get", TEACH),
    Case(
        "a sure but wrong alert",
        "/cohorts/{cohort}/insights/confident-wrong/{alert}/",
        "get",
        TEACH,
    ),
    Case(
        "start a thread on an alert",
        "/cohorts/{cohort}/insights/confident-wrong/{alert}/thread/",
        "post",
        TEACH,
    ),
    Case(
        "another cohort's lift", "/cohorts/{other_cohort}/insights/lift/", "get", OTHER_COHORT_TEACH
    ),
    Case("cohort chart CSV", "/cohorts/{cohort}/insights/charts/retention.csv", "get", TEACH),
    Case("participant activity CSV", "/cohorts/{cohort}/insights/participants.csv", "get", TEACH),
    Case("nudge participants", "/cohorts/{cohort}/insights/nudge/", "post", TEACH),
    Case("participant insights", "/cohorts/{cohort}/insights/people/{enrolment}/", "get", TEACH),
    Case(
        "participant scores CSV",
        "/cohorts/{cohort}/insights/people/{enrolment}/scores.csv",
        "get",
        TEACH,
    ),
    Case(
        "another cohort's dashboard", "/cohorts/{other_cohort}/insights/", "get", OTHER_COHORT_TEACH
    ),
    Case(
        "another organisation's cohort dashboard",
        "/cohorts/{outsider_cohort}/insights/",
        "get",
        (NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, SIGN_IN),
    ),
]


# --- Coaching (coaching app): a coach reaches their own people's pages only.
NOBODY_BUT_THE_COACH = (NOT_FOUND,) * 5 + (SIGN_IN,)
COACHING_CASES = [
    Case("coach home", "/coaching/", "get", ANY_MEMBER),
    Case(
        "a coached person",
        "/coaching/people/{enrolment}/",
        "get",
        NOBODY_BUT_THE_COACH,
        coaches=(OK, NOT_FOUND),
    ),
    Case(
        "another coach's person",
        "/coaching/people/{other_group_enrolment}/",
        "get",
        NOBODY_BUT_THE_COACH,
        coaches=(NOT_FOUND, OK),
    ),
    Case("observation link (tampered)", "/coaching/observe/not-a-token/", "get", ANYONE),
    Case(
        "observation form",
        "/coaching/observations/{observation_round}/people/{enrolment}/",
        "get",
        NOBODY_BUT_THE_COACH,
        coaches=(OK, NOT_FOUND),
    ),
    Case(
        "save observations",
        "/coaching/observations/{observation_round}/people/{enrolment}/",
        "post",
        NOBODY_BUT_THE_COACH,
        coaches=(OK, NOT_FOUND),
    ),
    Case(
        "observation form of another cohort's round",
        "/coaching/observations/{other_observation_round}/people/{enrolment}/",
        "get",
        NOBODY_BUT_THE_COACH,
        coaches=(NOT_FOUND, NOT_FOUND),
    ),
    Case("what my coach sees", "/cohorts/{cohort}/coach/", "get", COHORT_PARTICIPANT),
    Case("set a coach", "/cohorts/{cohort}/people/{enrolment}/coach/", "get", MANAGE),
    Case("save a coach", "/cohorts/{cohort}/people/{enrolment}/coach/", "post", MANAGE),
    Case(
        "set a coach in another cohort",
        "/cohorts/{other_cohort}/people/{enrolment}/coach/",
        "get",
        (NOT_FOUND,) * 5 + (SIGN_IN,),
    ),
    Case("cohort coaching", "/cohorts/{cohort}/coaching/", "get", TEACH),
    Case("coaching prompt", "/cohorts/{cohort}/coaching/prompts/{booster}/", "get", TEACH),
    Case("save a coaching prompt", "/cohorts/{cohort}/coaching/prompts/{booster}/", "post", TEACH),
    Case(
        "another organisation's coaching prompt",
        "/cohorts/{cohort}/coaching/prompts/{outsider_booster}/",
        "get",
        (NOT_FOUND,) * 5 + (SIGN_IN,),
    ),
]
CASES += COACHING_CASES


# --- Single sign-on and LMS registrations (sso and lti apps): managers of the organisation only.
SSO_LTI_CASES = [
    Case("single sign-on settings", "/org/{org}/sso/", "get", MANAGE),
    Case("save single sign-on", "/org/{org}/sso/", "post", MANAGE),
    Case("test single sign-on", "/org/{org}/sso/test/", "post", MANAGE),
    Case("add an SSO domain", "/org/{org}/sso/domains/", "post", MANAGE),
    Case("send a domain link", "/org/{org}/sso/domains/{sso_domain}/send/", "post", MANAGE),
    Case("remove an SSO domain", "/org/{org}/sso/domains/{sso_domain}/remove/", "post", MANAGE),
    Case(
        "another organisation's SSO domain",
        "/org/{org}/sso/domains/{outsider_sso_domain}/remove/",
        "post",
        (NOT_FOUND,) * 5 + (SIGN_IN,),
    ),
    Case("LMS registrations", "/org/{org}/lti/", "get", MANAGE),
    Case("register an LMS", "/org/{org}/lti/", "post", MANAGE),
    Case("LMS registration", "/org/{org}/lti/{lti_platform}/", "get", MANAGE),
    Case("save an LMS registration", "/org/{org}/lti/{lti_platform}/", "post", MANAGE),
    Case("sync a course roster", "/org/{org}/lti/courses/{lti_context}/sync/", "post", MANAGE),
    Case(
        "another organisation's LMS",
        "/org/{org}/lti/{outsider_lti_platform}/",
        "get",
        (NOT_FOUND,) * 5 + (SIGN_IN,),
    ),
    # Reached by people not signed in: a bad link and the SSO start page answer everyone.
    Case("verify a domain (bad link)", "/sso/domains/verify/not-a-token/", "get", ANYONE),
    Case("single sign-on start", "/sso/", "get", ANYONE),
]
CASES += SSO_LTI_CASES


def sso_lti_ids(world) -> dict:
    from lti.models import LtiContext, LtiPlatform
    from sso.models import SsoDomain

    def platform(organization):
        # No tool key: these pages never use it, and generating one costs a tenth of a second.
        return LtiPlatform.objects.create(
            organization=organization,
            name="Moodle",
            issuer=f"https://lms.{organization.slug}.test",
            client_id="tool",
            deployment_ids=["1"],
            auth_login_url="https://lms.test/auth",
            auth_token_url="https://lms.test/token",
            key_set_url="https://lms.test/jwks",
            tool_key_id="none",
        )

    lti_platform, outsider_lti_platform = (
        platform(o) for o in (world.organization, world.other_organization)
    )
    return {
        "sso_domain": SsoDomain.objects.create(organization=world.organization, domain="a.test").pk,
        "outsider_sso_domain": SsoDomain.objects.create(
            organization=world.other_organization, domain="g.test"
        ).pk,
        "lti_platform": lti_platform.pk,
        "outsider_lti_platform": outsider_lti_platform.pk,
        "lti_context": LtiContext.objects.create(
            platform=lti_platform, context_id="course-1", cohort=world.cohort
        ).pk,
    }


def _ids(world) -> dict:
    invitation = Invitation.objects.create(
        organization=world.organization,
        email="invitee@example.test",
        expires_at=Invitation.default_expiry(),
    )
    roster_import = RosterImport.objects.create(
        cohort=world.cohort,
        uploaded_by=world.instructor,
        filename="roster.csv",
        rows=[],
        total_rows=0,
    )
    thread = Thread.objects.create(cohort=world.cohort, author=world.instructor, title="Cohort")
    reply = Post.objects.create(thread=thread, author=world.participant, kind="reply", body="Hi")
    group_thread, other_group_thread = (
        Thread.objects.create(cohort=world.cohort, study_group=group, title=group.name)
        for group in (world.group, world.other_group)
    )
    other_group_reply = Post.objects.create(
        thread=other_group_thread, author=world.other_group_participant, kind="reply", body="Hi"
    )
    prompt, outsider_prompt = (
        Prompt.objects.create(
            cohort=cohort, title="Upcoming", due_at=clock.now() + timedelta(days=3)
        )
        for cohort in (world.cohort, world.outsider_cohort)
    )
    survey = Survey.objects.create(cohort=world.cohort, title="Pulse")
    question = Question.objects.create(survey=survey, kind="likert", text="Useful?")
    other_survey = Survey.objects.create(cohort=world.other_cohort, title="Elsewhere")
    later = datetime(2030, 1, 1, tzinfo=UTC)
    round_, other_round = (
        rounds.round_schedule(
            survey=s, plan=rounds.RoundPlan(label="Later", anchor="at", opens_at=later)
        )
        for s in (survey, other_survey)
    )
    now = clock.now()
    open_round, other_open_round = (
        Round.objects.create(
            survey=Survey.objects.create(cohort=cohort, title="Reaction"),
            cohort=cohort,
            label="Right after",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=6),
            status=RoundStatus.OPEN,
        )
        for cohort in (world.cohort, world.other_cohort)
    )
    rollups_refresh()
    spark = Spark.objects.create(cohort=world.cohort, question="What did you try?", offset_days=2)
    delivery = Delivery.objects.create(
        spark=spark, participant=world.participant, sent_at=clock.now()
    )
    # Instructor spark plan: a spark of another organisation's cohort.
    outsider_spark = Spark.objects.create(
        cohort=world.outsider_cohort, question="Elsewhere?", offset_days=2
    )
    booster, outsider_booster = (
        CoachingBooster.objects.create(
            cohort=cohort, offset_days=2, label="+2 days", starter="Ask {name}."
        )
        for cohort in (world.cohort, world.outsider_cohort)
    )
    observation_round, other_observation_round = (
        ObservationRound.objects.create(
            cohort=cohort, offset_days=30, label="+30 days", opened_at=now, step="remind"
        )
        for cohort in (world.cohort, world.other_cohort)
    )
    # Confident and wrong: an alert about the cohort's spark.
    alert = ConfidentWrongAlert.objects.create(
        cohort=world.cohort, spark=spark, answers=10, confident_wrong=4
    )
    return {
        "alert": alert.pk,
        "booster": booster.pk,
        "outsider_booster": outsider_booster.pk,
        "observation_round": observation_round.pk,
        "other_observation_round": other_observation_round.pk,
        "other_group_enrolment": Enrolment.objects.get(
            cohort=world.cohort, user=world.other_group_participant
        ).pk,
        # Instructor spark plan.
        "spark": spark.pk,
        "outsider_spark": outsider_spark.pk,
        "delivery": delivery.pk,
        "prompt": prompt.pk,
        "outsider_prompt": outsider_prompt.pk,
        "survey": survey.pk,
        "question": question.pk,
        "round": round_.pk,
        "other_survey": other_survey.pk,
        "other_round": other_round.pk,
        "org": world.organization.slug,
        "other_group_reply": other_group_reply.pk,
        "open_round": open_round.pk,
        "other_open_round": other_open_round.pk,
        "other_cohort": world.other_cohort.pk,
        "thread": thread.pk,
        "reply": reply.pk,
        "group_thread": group_thread.pk,
        "other_group_thread": other_group_thread.pk,
        "cohort": world.cohort.pk,
        "group": world.group.pk,
        "other_group": world.other_group.pk,
        "enrolment": Enrolment.objects.get(cohort=world.cohort, user=world.participant).pk,
        "membership": Membership.objects.get(
            organization=world.organization, user=world.participant
        ).pk,
        "invitation": invitation.pk,
        "roster_import": roster_import.pk,
        "unsubscribe": unsubscribe_token(world.participant),
        "outsider_cohort": world.outsider_cohort.pk,
    }


def _outcome(response) -> object:
    if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
        return SIGN_IN
    if response.status_code in (403, 404) or response.status_code >= 500:
        return response.status_code
    return OK


@pytest.fixture(scope="module")
def ids(module_world, django_db_blocker) -> dict:
    # Inside module_world's transaction: rolled back with it after the module.
    with django_db_blocker.unblock():
        return _ids(module_world) | sso_lti_ids(module_world)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.name}")
def test_it_gives_each_persona_the_expected_outcome(
    case, persona, ids, module_sessions, client, db
):
    url = case.url.format(**ids)
    if persona != "anonymous":
        # Signed in once for the module (tests/conftest.py `module_sessions`).
        client.cookies[settings.SESSION_COOKIE_NAME] = module_sessions[persona]
    headers = {"HX-Request": "true"} if case.htmx else {}
    response = getattr(client, case.method)(url, headers=headers)
    assert _outcome(response) == case.outcomes[PERSONAS.index(persona)]
