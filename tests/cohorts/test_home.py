def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_shows_a_manager_every_cohort_of_the_organisation(client_for, world):
    response = client_for(world.manager).get("/")
    body = response.content.decode()
    assert "Acme Learning: all cohorts" in body
    assert "Feedback that lands" in body
    assert "Leading remote teams" in body
    assert "Globex onboarding" not in body


def test_it_shows_an_instructor_the_cohorts_they_teach(client_for, world):
    body = client_for(world.instructor).get("/").content.decode()
    assert "Cohorts you teach" in body
    assert "Feedback that lands" in body
    assert "Leading remote teams" not in body


def test_it_shows_a_participant_their_cohorts_and_group(client_for, world):
    body = client_for(world.participant).get("/").content.decode()
    assert "Your cohorts" in body
    assert "study group Blue" in body
    assert "Before class" in body
    assert "Leading remote teams" not in body


def test_it_costs_a_constant_number_of_queries(client_for, world, django_assert_max_num_queries):
    from tests import factories

    for _ in range(20):
        cohort = factories.CohortFactory(organization=world.organization)
        factories.WorkshopSessionFactory(cohort=cohort)
        factories.EnrolmentFactory(cohort=cohort, user=world.manager, role="instructor")
    client = client_for(world.manager)
    with django_assert_max_num_queries(10):
        assert client.get("/").status_code == 200


def test_it_pages_a_large_organisation_for_its_manager(client_for, world):
    from portal.views import HOME_COHORTS_PER_PAGE
    from tests import factories

    factories.CohortFactory.create_batch(HOME_COHORTS_PER_PAGE, organization=world.organization)
    client = client_for(world.manager)
    first = client.get("/").content.decode()
    assert "Page 1 of 2" in first
    second = client.get("/?page=2").content.decode()
    assert "Page 2 of 2" in second
    assert "People and invitations" in first


def test_it_shows_the_workshop_date_in_the_cohort_s_time_zone(client_for, world):
    from datetime import UTC, datetime

    from tests import factories

    cohort = factories.CohortFactory(organization=world.organization, time_zone="Australia/Sydney")
    # 08:00 in Sydney on 3 March is still 2 March in UTC.
    factories.WorkshopSessionFactory(
        cohort=cohort, starts_at=datetime(2027, 3, 2, 21, 0, tzinfo=UTC)
    )
    body = client_for(world.manager).get("/").content.decode()
    assert "3 Mar 2027" in body
    assert "2 Mar 2027" not in body


def test_it_asks_no_second_request_to_assemble_a_participant_s_home(client_for, world):
    body = client_for(world.participant).get("/").content.decode()
    assert 'hx-trigger="load"' not in body
    assert 'hx-get="/coaching/card/"' not in body


def test_it_tells_a_member_in_no_cohort_yet_who_enrols_them(client_for, world):
    from tests import factories

    newcomer = factories.UserFactory(email="newcomer@example.test")
    factories.MembershipFactory(organization=world.organization, user=newcomer)
    body = client_for(newcomer).get("/").content.decode()
    assert "You joined <strong>Acme Learning</strong> as a participant" in body
    assert f'<a href="mailto:{world.manager.email}">{world.manager.name}</a>' in body
    assert 'href="/notifications/preferences/"' in body


def _something_waiting_in(cohort, participant, author) -> None:
    """An open survey round, a sent spark ask and a new thread, all waiting for `participant`."""
    from datetime import timedelta

    from discussions.models import Thread
    from socialtraining import clock
    from sparks.models import Delivery, Spark
    from surveys.models import Round, RoundStatus, Survey

    now = clock.now()
    Round.objects.create(
        survey=Survey.objects.create(cohort=cohort, title=f"Survey of {cohort.name}"),
        cohort=cohort,
        label="Right after",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=6),
        status=RoundStatus.OPEN,
    )
    spark = Spark.objects.create(
        cohort=cohort, question=f"Tried it in {cohort.name}?", offset_days=1
    )
    Delivery.objects.create(spark=spark, participant=participant, sent_at=now, due_at=now)
    Thread.objects.create(cohort=cohort, author=author, title=f"New in {cohort.name}")


def test_it_shows_a_participant_what_waits_at_a_constant_number_of_queries(
    client_for, world, django_assert_max_num_queries
):
    from tests import factories

    _something_waiting_in(world.cohort, world.participant, world.instructor)
    client = client_for(world.participant)
    with django_assert_max_num_queries(20) as one_cohort:
        body = client.get("/").content.decode()
    assert f"Survey of {world.cohort.name}" in body
    assert f"Tried it in {world.cohort.name}?" in body
    assert f"New in {world.cohort.name}" in body

    for _ in range(3):
        cohort = factories.CohortFactory(organization=world.organization)
        factories.EnrolmentFactory(cohort=cohort, user=world.participant)
        _something_waiting_in(cohort, world.participant, world.instructor)
    # Three more cohorts, each with its round, ask and thread: not one query more.
    with django_assert_max_num_queries(len(one_cohort)):
        body = client.get("/").content.decode()
    assert body.count("Survey of ") == 4
