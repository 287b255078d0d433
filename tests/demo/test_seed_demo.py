from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db.models import Count

from accounts.models import Membership, Organization, Role, User
from cohorts.models import Cohort, CohortRole, Enrolment, StudyGroup, WorkshopSession
from demo.bench_seed import BENCH_SURVEY_COHORT
from discussions.models import Thread
from notifications.models import Notification

PASSWORD = "social-training-demo"
DEMO_LOGINS = ["manager@demo.test", "instructor@demo.test", "participant@demo.test"]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def table_counts() -> dict[str, int]:
    models = [User, EmailAddress, Organization, Membership, Cohort, WorkshopSession, StudyGroup]
    counts = {model.__name__: model.objects.count() for model in models}
    counts["Enrolment"] = Enrolment.objects.count()
    counts["Notification"] = Notification.objects.count()
    return counts


@pytest.mark.parametrize("email", DEMO_LOGINS)
def test_it_creates_demo_accounts_that_sign_in_with_the_demo_password(client, demo, email):
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_it_gives_the_demo_accounts_their_roles(demo):
    roles = dict(
        Membership.objects.filter(organization=demo, user__email__in=DEMO_LOGINS).values_list(
            "user__email", "role"
        )
    )
    assert roles == {
        "manager@demo.test": Role.MANAGER,
        "instructor@demo.test": Role.INSTRUCTOR,
        "participant@demo.test": Role.PARTICIPANT,
    }
    assert demo.name == "Northwind Learning"
    assert Membership.objects.filter(organization=demo, role=Role.INSTRUCTOR).count() == 2


def test_it_builds_one_cohort_before_class_and_two_after(demo):
    cohorts = Cohort.objects.filter(organization=demo).order_by("-created_at")
    assert [c.phase for c in cohorts] == ["before", "after", "after"]
    assert all(1 <= c.sessions.count() <= 2 for c in cohorts)
    assert {c.time_zone for c in cohorts} == {"Europe/London", "Europe/Berlin", "America/New_York"}


def test_it_puts_the_demo_participant_in_the_demo_instructors_cohort_and_a_study_group(demo):
    taking = Enrolment.objects.get(user__email="participant@demo.test")
    assert taking.role == CohortRole.PARTICIPANT
    assert taking.study_group is not None
    assert Enrolment.objects.filter(
        cohort=taking.cohort, user__email="instructor@demo.test", role=CohortRole.INSTRUCTOR
    ).exists()
    assert taking.cohort.phase == "after"


def test_it_enrols_about_sixty_participants_in_study_groups_of_four_to_six(demo):
    participants = User.objects.filter(
        enrolments__cohort__organization=demo, enrolments__role=CohortRole.PARTICIPANT
    ).distinct()
    assert 55 <= participants.count() <= 65
    sizes = StudyGroup.objects.filter(cohort__organization=demo).annotate(n=Count("enrolments"))
    assert sizes
    assert all(4 <= group.n <= 6 for group in sizes)
    for cohort in Cohort.objects.filter(organization=demo):
        grouped = cohort.enrolments.filter(study_group__isnull=False).count()
        if cohort.phase == "after":
            assert grouped == cohort.enrolments.filter(role=CohortRole.PARTICIPANT).count()
        else:
            assert grouped == 0


def test_it_gives_every_demo_account_a_verified_address_and_an_unread_notification(demo):
    people = User.objects.filter(memberships__organization=demo)
    assert EmailAddress.objects.filter(user__in=people, verified=True, primary=True).count() == (
        people.count()
    )
    for email in DEMO_LOGINS:
        assert Notification.objects.filter(user__email=email, read_at__isnull=True).exists()


def test_it_leaves_an_existing_demo_organisation_alone(demo):
    before = table_counts()
    output = seed()
    assert "already exists" in output
    assert table_counts() == before


def test_it_rebuilds_the_demo_organisation_with_reset(demo):
    before = table_counts()
    seed("--reset")
    assert table_counts() == before
    assert not Organization.objects.filter(pk=demo.pk).exists()
    assert Organization.objects.filter(slug="demo").exists()


def test_it_builds_a_scaled_organisation_of_cohorts_of_a_hundred(client, db):
    output = seed("--scale", "300")
    assert "elapsed_seconds=" in output
    bench = Organization.objects.get(slug="bench")
    # Three cohorts of 100, and the organisation-wide refresher survey's cohort of everyone.
    cohorts = Cohort.objects.filter(organization=bench).exclude(name=BENCH_SURVEY_COHORT)
    assert cohorts.count() == 3
    participants = Enrolment.objects.filter(cohort__in=cohorts, role="participant")
    assert participants.count() == 300
    assert Membership.objects.filter(organization=bench, role=Role.PARTICIPANT).count() == 300
    assert Membership.objects.filter(organization=bench, role=Role.MANAGER).count() == 1
    for cohort in cohorts:
        assert cohort.enrolments.filter(role=CohortRole.PARTICIPANT).count() == 100
        assert cohort.enrolments.filter(role=CohortRole.INSTRUCTOR).count() == 1
        assert cohort.sessions.exists()
        # At 300 the three workshops are all in the past, so every cohort is split into groups.
        groups = cohort.study_groups.annotate(n=Count("enrolments"))
        assert [g.n for g in groups] == [5] * 20
    assert StudyGroup.objects.filter(cohort__organization=bench).count() == 60
    # One busy cohort space for the discussion benchmarks (beside the scaled activity's threads).
    threads = Thread.objects.filter(cohort__organization=bench, title__startswith="Benchmark")
    assert threads.count() == 1000
    assert threads.filter(posts__kind="reply").distinct().count() == 1
    assert threads.order_by("-reply_count")[0].posts.filter(kind="reply").count() == 2000
    response = client.post(
        "/accounts/login/", {"login": "bench-manager@demo.test", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_it_leaves_an_existing_scaled_organisation_alone(db):
    seed("--scale", "300")
    seed()
    before = table_counts()
    assert "already exists" in seed("--scale", "300")
    assert "already exists" in seed()
    assert table_counts() == before


def test_it_fills_the_dashboard_rollups_so_the_demo_opens_with_numbers(demo):
    from insights.models import CohortRollup

    cohorts = Cohort.objects.filter(organization=demo)
    assert CohortRollup.objects.filter(cohort__in=cohorts).count() == cohorts.count()
