from django.core import mail

from accounts.models import Invitation, Membership
from cohorts.models import Enrolment
from tests import factories


def _people_url(world):
    return f"/cohorts/{world.cohort.pk}/people/"


def test_it_shows_teachers_emails_and_groups(world, client_for):
    body = client_for(world.instructor).get(_people_url(world)).content.decode()
    assert "participant@example.test" in body
    assert ">Blue</option>" in body
    assert "Enrol someone" in body


def test_it_shows_participants_names_only(world, client_for):
    body = client_for(world.participant).get(_people_url(world)).content.decode()
    assert world.groupmate.name in body
    assert world.instructor.name in body
    assert "groupmate@example.test" not in body
    assert "Enrol someone" not in body
    assert "Remove" not in body


def test_it_enrols_and_invites_a_new_person(world, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.instructor).post(
            _people_url(world), {"email": " New.Person@Example.test ", "name": "New Person"}
        )
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(cohort=world.cohort, user__email="new.person@example.test")
    assert enrolment.role == "participant"
    assert enrolment.user.display_name == "New Person"
    assert Membership.objects.get(organization=world.organization, user=enrolment.user).role == (
        "participant"
    )
    assert Invitation.objects.filter(email="new.person@example.test").count() == 1
    assert [m.to for m in mail.outbox] == [["new.person@example.test"]]


def test_it_enrols_someone_with_an_account_and_tells_them(
    world, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.manager).post(
            _people_url(world), {"email": "elsewhere@example.test", "name": ""}
        )
    assert Enrolment.objects.filter(
        cohort=world.cohort, user=world.other_cohort_participant
    ).exists()
    assert not Invitation.objects.exists()
    notification = world.other_cohort_participant.notifications.get()
    assert notification.title == "You were enrolled in Feedback that lands"
    assert [m.to for m in mail.outbox] == [["elsewhere@example.test"]]


def test_it_changes_nothing_for_someone_already_enrolled(world, client_for):
    response = client_for(world.instructor).post(
        _people_url(world),
        {"email": "participant@example.test", "name": "Someone Else"},
        follow=True,
    )
    enrolment = Enrolment.objects.get(cohort=world.cohort, user=world.participant)
    assert enrolment.study_group == world.group
    assert "already enrolled; nothing changed" in response.content.decode()
    assert not Invitation.objects.exists()


def test_it_keeps_the_text_and_explains_a_bad_email(world, client_for):
    response = client_for(world.instructor).post(
        _people_url(world), {"email": "not-an-email", "name": "Ada Lovelace"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid email address." in body
    assert 'value="not-an-email"' in body
    assert 'value="Ada Lovelace"' in body
    assert Enrolment.objects.filter(cohort=world.cohort).count() == 4


def test_it_removes_a_participant(world, client_for):
    enrolment = Enrolment.objects.get(cohort=world.cohort, user=world.groupmate)
    url = f"/cohorts/{world.cohort.pk}/people/{enrolment.pk}/remove/"
    assert client_for(world.instructor).post(url).status_code == 302
    assert not Enrolment.objects.filter(pk=enrolment.pk).exists()


def test_it_does_not_remove_an_instructor_from_the_people_page(world, client_for):
    enrolment = Enrolment.objects.get(cohort=world.cohort, user=world.instructor)
    url = f"/cohorts/{world.cohort.pk}/people/{enrolment.pk}/remove/"
    response = client_for(world.manager).post(url, follow=True)
    assert "Instructors are removed by editing the cohort." in response.content.decode()
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()


def test_it_refuses_get_on_remove(world, client_for):
    enrolment = Enrolment.objects.get(cohort=world.cohort, user=world.groupmate)
    url = f"/cohorts/{world.cohort.pk}/people/{enrolment.pk}/remove/"
    assert client_for(world.manager).get(url).status_code == 405


def test_it_paginates_and_costs_a_constant_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    for _ in range(30):
        factories.EnrolmentFactory(cohort=world.cohort, study_group=world.other_group)
    client = client_for(world.instructor)
    with django_assert_max_num_queries(10):
        assert client.get(_people_url(world)).status_code == 200


def test_it_lists_instructors_before_participants(world, client_for):
    body = client_for(world.manager).get(_people_url(world)).content.decode()
    assert body.index("instructor@example.test") < body.index("participant@example.test")
