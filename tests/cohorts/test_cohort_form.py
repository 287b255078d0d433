from datetime import UTC, datetime

from accounts.models import Membership, Role
from cohorts.models import Cohort, CohortRole, Enrolment
from tests import factories


def _data(**overrides):
    data = {
        "name": "Coaching conversations",
        "description": "Two mornings on coaching.",
        "time_zone": "America/New_York",
        "sessions-TOTAL_FORMS": "3",
        "sessions-INITIAL_FORMS": "0",
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "1000",
        "sessions-0-starts_at": "2030-03-04T09:00",
        "sessions-0-ends_at": "2030-03-04T12:30",
        "sessions-0-title": "Day one",
        "sessions-1-starts_at": "",
        "sessions-1-ends_at": "",
        "sessions-2-starts_at": "",
        "sessions-2-ends_at": "",
    }
    data.update(overrides)
    return data


def test_it_shows_the_new_cohort_form_with_the_members_as_instructor_choices(world, client_for):
    body = client_for(world.manager).get("/org/acme/cohorts/new/").content.decode()
    assert 'type="datetime-local"' in body
    assert 'list="time-zones"' in body
    assert "instructor@example.test" in body
    assert "outsider@globex.test" not in body


def test_it_creates_a_cohort_with_sessions_in_its_time_zone(world, client_for):
    response = client_for(world.manager).post(
        "/org/acme/cohorts/new/", _data(instructors=[world.instructor.pk])
    )
    cohort = Cohort.objects.get(name="Coaching conversations")
    assert response.status_code == 302
    assert response["Location"] == f"/cohorts/{cohort.pk}/"
    session = cohort.sessions.get()
    # 09:00 in New York on 4 March 2030 (EST, UTC-5, before daylight saving) is 14:00 UTC.
    assert session.starts_at == datetime(2030, 3, 4, 14, 0, tzinfo=UTC)
    assert session.title == "Day one"
    assert cohort.organization == world.organization
    assert cohort.created_by == world.manager
    assert Enrolment.objects.get(cohort=cohort, user=world.instructor).role == "instructor"


def test_it_makes_a_participant_chosen_as_instructor_an_instructor_of_the_organisation(
    world, client_for
):
    client_for(world.manager).post(
        "/org/acme/cohorts/new/", _data(instructors=[world.participant.pk])
    )
    membership = Membership.objects.get(organization=world.organization, user=world.participant)
    assert membership.role == Role.INSTRUCTOR


def test_it_keeps_the_text_and_explains_when_a_session_ends_before_it_starts(world, client_for):
    response = client_for(world.manager).post(
        "/org/acme/cohorts/new/",
        _data(**{"sessions-0-ends_at": "2030-03-04T08:00", "description": "My careful words"}),
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "The session must end after it starts." in body
    assert "My careful words" in body
    assert 'value="2030-03-04T08:00"' in body
    assert not Cohort.objects.filter(name="Coaching conversations").exists()


def test_it_refuses_a_session_outside_the_calendar_with_a_message(world, client_for):
    # 9999-12-31 plus a prompt's or a spark's offset left Python's calendar: a 500.
    response = client_for(world.manager).post(
        "/org/acme/cohorts/new/",
        _data(
            **{"sessions-0-starts_at": "9999-12-31T09:00", "sessions-0-ends_at": "9999-12-31T12:00"}
        ),
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert body.count("Choose a date between 2000 and 2099.") == 2
    assert 'value="9999-12-31T09:00"' in body
    assert not Cohort.objects.filter(name="Coaching conversations").exists()


def test_it_requires_at_least_one_session(world, client_for):
    response = client_for(world.manager).post(
        "/org/acme/cohorts/new/",
        _data(**{"sessions-0-starts_at": "", "sessions-0-ends_at": "", "sessions-0-title": ""}),
    )
    assert response.status_code == 400
    assert "Add at least one workshop session." in response.content.decode()


def test_it_rejects_a_time_zone_that_does_not_exist(world, client_for):
    response = client_for(world.manager).post(
        "/org/acme/cohorts/new/", _data(time_zone="Mars/Olympus")
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "is not a time zone name" in body
    assert 'value="Mars/Olympus"' in body


def test_it_refuses_an_instructor_from_another_organisation(world, client_for):
    response = client_for(world.manager).post(
        "/org/acme/cohorts/new/", _data(instructors=[world.outsider.pk])
    )
    assert response.status_code == 400
    assert not Cohort.objects.filter(name="Coaching conversations").exists()


def _edit_data(cohort, session, **overrides):
    data = _data(
        **{
            "name": "Feedback that lands, again",
            "time_zone": "Europe/Paris",
            "sessions-INITIAL_FORMS": "1",
            "sessions-0-id": str(session.pk),
            "sessions-0-starts_at": "2030-06-01T09:00",
            "sessions-0-ends_at": "2030-06-01T17:00",
            "sessions-1-starts_at": "2030-06-02T09:00",
            "sessions-1-ends_at": "2030-06-02T12:00",
        }
    )
    data.update(overrides)
    return data


def test_it_shows_existing_sessions_in_the_cohorts_time_zone_when_editing(world, client_for):
    session = world.cohort.sessions.get()
    session.starts_at = datetime(2030, 6, 1, 7, 0, tzinfo=UTC)
    session.ends_at = datetime(2030, 6, 1, 15, 0, tzinfo=UTC)
    session.save(update_fields=["starts_at", "ends_at"])
    body = client_for(world.manager).get(f"/cohorts/{world.cohort.pk}/edit/").content.decode()
    assert 'value="2030-06-01T09:00"' in body  # Paris is UTC+2 in June


def test_it_edits_the_cohort_its_sessions_and_instructors(world, client_for):
    session = world.cohort.sessions.get()
    teacher = factories.UserFactory(email="teacher2@example.test")
    factories.MembershipFactory(organization=world.organization, user=teacher)
    response = client_for(world.manager).post(
        f"/cohorts/{world.cohort.pk}/edit/",
        _edit_data(world.cohort, session, instructors=[teacher.pk]),
    )
    assert response.status_code == 302
    world.cohort.refresh_from_db()
    assert world.cohort.name == "Feedback that lands, again"
    starts = list(world.cohort.sessions.values_list("starts_at", flat=True))
    assert starts == [
        datetime(2030, 6, 1, 7, 0, tzinfo=UTC),
        datetime(2030, 6, 2, 7, 0, tzinfo=UTC),
    ]
    assert world.cohort.sessions.filter(pk=session.pk).exists()
    instructors = set(
        world.cohort.enrolments.filter(role=CohortRole.INSTRUCTOR).values_list("user", flat=True)
    )
    assert instructors == {teacher.pk}


def test_it_deletes_a_session_ticked_for_deletion(world, client_for):
    session = world.cohort.sessions.get()
    client_for(world.manager).post(
        f"/cohorts/{world.cohort.pk}/edit/",
        _edit_data(world.cohort, session, **{"sessions-0-DELETE": "on"}),
    )
    assert not world.cohort.sessions.filter(pk=session.pk).exists()
    assert world.cohort.sessions.count() == 1


def test_it_does_not_touch_a_session_of_another_cohort_named_in_the_form(world, client_for):
    foreign = factories.WorkshopSessionFactory(cohort=world.other_cohort)
    session = world.cohort.sessions.get()
    data = _edit_data(world.cohort, session, **{"sessions-1-id": str(foreign.pk)})
    client_for(world.manager).post(f"/cohorts/{world.cohort.pk}/edit/", data)
    before = foreign.starts_at
    foreign.refresh_from_db()
    assert foreign.starts_at == before
    assert foreign.cohort == world.other_cohort


def test_it_offers_managers_a_new_cohort_link_on_home(world, client_for):
    body = client_for(world.manager).get("/").content.decode()
    assert 'href="/org/acme/cohorts/new/"' in body
    assert "/cohorts/new/" not in client_for(world.instructor).get("/").content.decode()
