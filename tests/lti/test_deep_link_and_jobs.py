"""Deep linking, the NRPS roster sync and AGS grade passback, against the suite's LMS."""

from datetime import timedelta

import jwt
from jwcrypto.jwk import JWK

from cohorts.models import CohortRole, Enrolment
from lti.models import LtiContext, LtiGradeSync, LtiRosterEntry, LtiRosterSync, LtiScore
from notifications import scheduling
from notifications.scheduling import DueStatus
from socialtraining import clock
from surveys.models import Response, ResponseStatus, Round, RoundStatus, Survey
from tests.lti.platform import INSTRUCTOR, LEARNER, LTI

DEEP_LINKING = {
    LTI + "message_type": "LtiDeepLinkingRequest",
    LTI + "roles": [INSTRUCTOR],
    "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
        "deep_link_return_url": "http://127.0.0.1:9/return",
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["window"],
        "data": "opaque-platform-data",
    },
}


def _round(cohort) -> Round:
    now = clock.now()
    return Round.objects.create(
        survey=Survey.objects.create(cohort=cohort, title="Knowledge check"),
        cohort=cohort,
        label="Right after",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=6),
        status=RoundStatus.OPEN,
    )


def _dispatch(kind: str, django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return scheduling.dispatch_kind(scheduling.due_kind(kind))


def test_it_places_a_survey_round_and_opens_it_on_launch(client, world, lms):
    round_ = _round(world.cohort)
    response, _ = lms.launch(client, sub="teacher", email=world.instructor.email, **DEEP_LINKING)
    # The instructor's address is not in a verified domain: they sign in here first.
    assert response.status_code == 403
    client.force_login(world.instructor, backend="django.contrib.auth.backends.ModelBackend")
    response, _ = lms.launch(client, sub="teacher", email=world.instructor.email, **DEEP_LINKING)
    page = response.content.decode()
    assert response.status_code == 200
    assert world.cohort.name in page
    assert "Survey round: Knowledge check, Right after" in page
    # Cohorts the instructor does not teach are not offered.
    assert world.other_cohort.name not in page
    assert "frame-ancestors http://127.0.0.1:9" in response["Content-Security-Policy"]

    token = page.split('action="/lti/deep-link/')[1].split("/")[0]
    answer = client.post(
        f"/lti/deep-link/{token}/", {"choice": f"round:{world.cohort.pk}:{round_.pk}"}
    )
    assert answer.status_code == 200
    assert 'action="http://127.0.0.1:9/return"' in answer.content.decode()
    signed = answer.content.decode().split('name="JWT" value="')[1].split('"')[0]
    tool_key = JWK(**lms.tool_jwk).export_to_pem().decode()
    message = jwt.decode(signed, tool_key, algorithms=["RS256"], audience=lms.issuer)
    assert message[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert message["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
    (item,) = message["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["custom"] == {
        "cohort": str(world.cohort.pk),
        "target": "round",
        "round": str(round_.pk),
    }
    # The choice is sent once.
    again = client.post(
        f"/lti/deep-link/{token}/", {"choice": f"round:{world.cohort.pk}:{round_.pk}"}
    )
    assert again.status_code == 400

    # A learner follows the placed link: signed in, enrolled, straight to the survey.
    client.logout()
    launch, _ = lms.launch(
        client, sub="learner", email="sam@school.test", **{LTI + "custom": item["custom"]}
    )
    assert launch["Location"] == f"/cohorts/{world.cohort.pk}/surveys/rounds/{round_.pk}/"


def test_it_refuses_to_place_a_cohort_the_instructor_does_not_teach(client, world, lms):
    client.force_login(world.instructor, backend="django.contrib.auth.backends.ModelBackend")
    response, _ = lms.launch(client, sub="teacher", email=world.instructor.email, **DEEP_LINKING)
    token = response.content.decode().split('action="/lti/deep-link/')[1].split("/")[0]
    answer = client.post(
        f"/lti/deep-link/{token}/", {"choice": f"cohort:{world.outsider_cohort.pk}"}
    )
    assert answer.status_code == 404
    # Nor a round of another cohort named under one they teach.
    other_round = _round(world.other_cohort)
    answer = client.post(
        f"/lti/deep-link/{token}/", {"choice": f"round:{world.cohort.pk}:{other_round.pk}"}
    )
    assert answer.status_code == 404


def test_it_refuses_deep_linking_to_a_learner(client, world, lms):
    response, _ = lms.launch(client, sub="learner", **{**DEEP_LINKING, LTI + "roles": [LEARNER]})
    assert response.status_code == 403
    assert "instructors add content" in response.content.decode()


def test_it_syncs_the_roster_and_marks_removals_without_deleting(
    client, world, lms, travel, django_capture_on_commit_callbacks
):
    lms.launch(
        client,
        sub="learner-1",
        email="sam@school.test",
        **{LTI + "custom": {"cohort": str(world.cohort.pk)}},
    )
    lms.members = [
        {
            "user_id": "learner-1",
            "email": "sam@school.test",
            "name": "Sam",
            "roles": [LEARNER],
            "status": "Active",
        },
        {
            "user_id": "learner-2",
            "email": "lee@school.test",
            "name": "Lee",
            "roles": [LEARNER],
            "status": "Active",
        },
        {
            "user_id": "teacher-1",
            "email": "kim@school.test",
            "name": "Kim",
            "roles": [INSTRUCTOR],
            "status": "Active",
        },
    ]
    assert _dispatch("lti_roster_sync", django_capture_on_commit_callbacks) == 1
    roles = dict(
        Enrolment.objects.filter(
            cohort=world.cohort, user__email__endswith="@school.test"
        ).values_list("user__email", "role")
    )
    assert roles == {
        "sam@school.test": CohortRole.PARTICIPANT,
        "lee@school.test": CohortRole.PARTICIPANT,
        "kim@school.test": CohortRole.INSTRUCTOR,
    }
    sync = LtiRosterSync.objects.get()
    assert (sync.last_added, sync.last_removed, sync.status) == (2, 0, DueStatus.PENDING)
    # It comes back by itself a day later, not before.
    assert _dispatch("lti_roster_sync", django_capture_on_commit_callbacks) == 0

    lms.members = [m for m in lms.members if m["user_id"] != "learner-2"]
    travel.by(timedelta(hours=25))
    assert _dispatch("lti_roster_sync", django_capture_on_commit_callbacks) == 1
    lee = LtiRosterEntry.objects.get(user__email="lee@school.test")
    assert lee.status == "removed" and lee.removed_at is not None
    # Marked, never deleted: Lee keeps the enrolment and everything written.
    assert Enrolment.objects.filter(cohort=world.cohort, user__email="lee@school.test").exists()

    # The manager sees it on the LMS page.
    client.force_login(world.manager, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/org/{world.organization.slug}/lti/{lms.registered.pk}/").content.decode()
    assert "Removed from their course" in page
    assert "lee@school.test" in page


def test_it_sends_submitted_scores_to_the_gradebook_once(
    client, world, lms, django_capture_on_commit_callbacks
):
    round_ = _round(world.cohort)
    ags = {
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitem": f"{lms.url}/lineitems/7",
        },
        LTI + "custom": {
            "cohort": str(world.cohort.pk),
            "target": "round",
            "round": str(round_.pk),
        },
    }
    lms.launch(client, sub="learner-1", email="sam@school.test", **ags)
    sam = Enrolment.objects.get(cohort=world.cohort, user__email="sam@school.test").user
    Response.objects.create(
        round=round_,
        participant=sam,
        status=ResponseStatus.SUBMITTED,
        submitted_at=clock.now(),
        score=4,
        max_score=5,
    )
    assert _dispatch("lti_grade_sync", django_capture_on_commit_callbacks) == 1
    (score,) = lms.scores
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("learner-1", 4, 5)
    assert score["gradingProgress"] == "FullyGraded"
    assert LtiScore.objects.get(user=sam).score_given == 4
    assert LtiGradeSync.objects.get().last_sent == 1
    assert LtiContext.objects.get().cohort == world.cohort


def _roster(count: int, start: int = 0) -> list[dict]:
    return [
        {
            "user_id": f"u{n}",
            "email": f"person{n}@school.test",
            "name": f"Person {n}",
            "roles": [INSTRUCTOR if n == 0 else LEARNER],
            "status": "Active",
        }
        for n in range(start, start + count)
    ]


def test_it_syncs_a_roster_in_the_same_queries_whatever_its_size(client, world, lms):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lti.syncs import lti_roster_sync

    lms.launch(
        client,
        sub="u0",
        email="person0@school.test",
        **{LTI + "custom": {"cohort": str(world.cohort.pk)}},
    )
    row = LtiRosterSync.objects.get()
    counts = []
    for members in (_roster(3), _roster(33)):
        lms.members = members
        with CaptureQueriesContext(connection) as queries:
            lti_roster_sync(row)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert (
        Enrolment.objects.filter(cohort=world.cohort, user__email__endswith="@school.test").count()
        == 33
    )
    assert Enrolment.objects.get(user__email="person0@school.test").role == CohortRole.INSTRUCTOR


def test_it_sends_participation_for_a_placed_cohort(
    client, world, lms, django_capture_on_commit_callbacks
):
    from sparks.models import Delivery, DeliveryOutcome, Spark

    ags = {
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitem": f"{lms.url}/lineitems/8",
        },
        LTI + "custom": {"cohort": str(world.cohort.pk), "target": "cohort"},
    }
    lms.launch(client, sub="learner-1", email="sam@school.test", **ags)
    sam = Enrolment.objects.get(cohort=world.cohort, user__email="sam@school.test").user
    for n, outcome in enumerate(
        [
            DeliveryOutcome.ANSWERED,
            DeliveryOutcome.ANSWERED,
            DeliveryOutcome.MISSED,
            DeliveryOutcome.WAITING,
        ]
    ):
        spark = Spark.objects.create(cohort=world.cohort, question=f"Q{n}?", offset_days=n)
        Delivery.objects.create(
            spark=spark, participant=sam, outcome=outcome, closed_at=clock.now()
        )
    assert _dispatch("lti_grade_sync", django_capture_on_commit_callbacks) == 1
    (score,) = lms.scores
    # Two answered of the three that closed; the one still waiting does not count yet.
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("learner-1", 2, 3)
