"""LTI 1.3 resource launches from the suite's LMS, which signs real id tokens with its own key."""

from jwcrypto.jwk import JWK

from accounts.models import Membership, Role, User
from cohorts.models import CohortRole, Enrolment
from lti.models import LtiRosterEntry, LtiRosterSync, LtiUser
from tests.factories import PASSWORD
from tests.lti.platform import INSTRUCTOR, LTI


def _custom(world) -> dict:
    return {LTI + "custom": {"cohort": str(world.cohort.pk), "target": "cohort"}}


def _signed_in_as(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.filter(pk=user_id).first() if user_id else None


def test_it_signs_a_learner_in_enrolled_in_the_cohort(client, world, lms):
    response, _ = lms.launch(
        client, sub="learner-1", email="sam@school.test", name="Sam Learner", **_custom(world)
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cohorts/{world.cohort.pk}/"
    user = _signed_in_as(client)
    assert (user.email, user.display_name) == ("sam@school.test", "Sam Learner")
    assert Enrolment.objects.get(cohort=world.cohort, user=user).role == CohortRole.PARTICIPANT
    assert Membership.objects.get(organization=world.organization, user=user).role == "participant"
    assert LtiUser.objects.get(platform=lms.registered, sub="learner-1").user == user
    assert LtiRosterEntry.objects.get(user=user).status == "active"
    # The course gave a roster service: its first sync is due now.
    assert LtiRosterSync.objects.get(context__cohort=world.cohort).status == "pending"
    page = client.get(response["Location"])
    assert world.cohort.name in page.content.decode()


def test_it_makes_an_lms_instructor_an_instructor(client, world, lms):
    lms.launch(
        client,
        sub="teacher-1",
        email="kim@school.test",
        **{LTI + "roles": [INSTRUCTOR]},
        **_custom(world),
    )
    user = _signed_in_as(client)
    assert Enrolment.objects.get(cohort=world.cohort, user=user).role == CohortRole.INSTRUCTOR
    assert (
        Membership.objects.get(organization=world.organization, user=user).role == Role.INSTRUCTOR
    )


def test_it_recognises_the_same_person_on_the_next_launch(client, world, lms):
    lms.launch(client, sub="learner-1", email="sam@school.test", **_custom(world))
    first = _signed_in_as(client)
    client.logout()
    # The LMS changed the address; the platform's id for the person is what counts.
    lms.launch(client, sub="learner-1", email="sam.new@school.test", **_custom(world))
    assert _signed_in_as(client) == first
    assert User.objects.filter(email__endswith="@school.test").count() == 1


def test_it_refuses_a_token_signed_with_another_key(client, world, lms):
    intruder = JWK.generate(kty="RSA", size=2048, kid=lms.key.kid)
    response, _ = lms.launch(client, key=intruder, sub="learner-1", **_custom(world))
    assert response.status_code == 403
    assert "could not be verified" in response.content.decode()
    assert _signed_in_as(client) is None
    assert not LtiUser.objects.exists()


def test_it_refuses_a_replayed_launch(client, world, lms):
    response, data = lms.launch(client, sub="learner-1", **_custom(world))
    assert response.status_code == 302
    client.logout()
    replay = client.post("/lti/launch/", data)
    assert replay.status_code == 403
    assert "used already" in replay.content.decode()
    assert _signed_in_as(client) is None


def test_it_refuses_an_unknown_deployment(client, world, lms):
    response, _ = lms.launch(
        client, sub="learner-1", **{LTI + "deployment_id": "elsewhere"}, **_custom(world)
    )
    assert response.status_code == 403
    assert "Unable to find deployment" in response.content.decode()
    assert _signed_in_as(client) is None


def test_it_refuses_an_expired_token(client, world, lms):
    response, _ = lms.launch(client, exp_in=-60, sub="learner-1", **_custom(world))
    assert response.status_code == 403
    assert "expired" in response.content.decode()
    assert _signed_in_as(client) is None


def test_it_refuses_a_cohort_of_another_organisation(client, world, lms):
    custom = {LTI + "custom": {"cohort": str(world.outsider_cohort.pk)}}
    response, _ = lms.launch(client, sub="learner-1", **custom)
    assert response.status_code == 403
    assert _signed_in_as(client) is None
    assert not Enrolment.objects.filter(
        cohort=world.outsider_cohort, user__email__contains="lti"
    ).exists()


def test_it_links_an_existing_account_only_once_its_owner_signed_in(client, world, lms):
    # The LMS names the address of an account here, outside any verified domain.
    response, _ = lms.launch(client, sub="p-1", email=world.participant.email, **_custom(world))
    assert response.status_code == 403
    assert "Sign in to it once in this browser" in response.content.decode()
    assert _signed_in_as(client) is None

    client.post("/accounts/login/", {"login": world.participant.email, "password": PASSWORD})
    response, _ = lms.launch(client, sub="p-1", email=world.participant.email, **_custom(world))
    assert response.status_code == 302
    assert LtiUser.objects.get(sub="p-1").user == world.participant


def test_it_keeps_a_refused_launch_used(client, world, lms):
    response, data = lms.launch(client, sub="p-1", email=world.participant.email, **_custom(world))
    assert response.status_code == 403
    # Signing in does not make the captured launch good again: only a fresh one links.
    client.force_login(world.participant, backend="django.contrib.auth.backends.ModelBackend")
    replay = client.post("/lti/launch/", data)
    assert replay.status_code == 403
    assert "used already" in replay.content.decode()
    assert not LtiUser.objects.exists()


def test_it_refuses_a_login_from_an_unregistered_lms(client, lms):
    response = client.get(
        "/lti/login/",
        {"iss": "https://unknown-lms.test", "client_id": "x", "login_hint": "h"},
    )
    assert response.status_code == 400
    assert "not registered here" in response.content.decode()
    assert client.get("/lti/login/", {"client_id": "x"}).status_code == 400
