from datetime import UTC, datetime

from tests import factories


def test_it_shows_sessions_in_the_cohorts_time_zone_and_the_people(world, client_for):
    session = world.cohort.sessions.get()
    session.starts_at = datetime(2030, 1, 15, 8, 0, tzinfo=UTC)
    session.ends_at = datetime(2030, 1, 15, 16, 0, tzinfo=UTC)
    session.save(update_fields=["starts_at", "ends_at"])
    body = client_for(world.manager).get(f"/cohorts/{world.cohort.pk}/").content.decode()
    assert "Tue 15 Jan 2030, 09:00" in body  # Paris is UTC+1 in January
    assert "Times in Europe/Paris" in body
    assert "Before class" in body
    assert world.instructor.name in body
    assert "3 participants" in body
    assert "Blue" in body and "Green" in body
    assert f'href="/cohorts/{world.cohort.pk}/roster/"' in body


def test_it_shows_a_participant_only_their_own_study_group(world, client_for):
    body = client_for(world.participant).get(f"/cohorts/{world.cohort.pk}/").content.decode()
    assert "Your study group" in body
    assert "Blue" in body
    assert "Green" not in body
    assert "/roster/" not in body
    assert "/edit/" not in body


def test_it_costs_a_constant_number_of_queries(world, client_for, django_assert_max_num_queries):
    for n in range(15):
        group = factories.StudyGroupFactory(cohort=world.cohort, name=f"Extra {n}")
        factories.EnrolmentFactory(cohort=world.cohort, study_group=group)
        factories.WorkshopSessionFactory(cohort=world.cohort)
        factories.EnrolmentFactory(cohort=world.cohort, role="instructor")
    client = client_for(world.manager)
    with django_assert_max_num_queries(12):
        assert client.get(f"/cohorts/{world.cohort.pk}/").status_code == 200
