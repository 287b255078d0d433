"""Personas and service checks shared by the whole suite.

The personas: a manager of the organisation, an instructor and a participant of `cohort` (the
participant is in `group`), a participant of another cohort of the same organisation, a member of
another organisation, and an anonymous visitor.
"""

import os
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.db import connection

from accounts.models import Role
from cohorts.models import CohortRole
from socialtraining import clock
from tests import factories

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip with a visible reason locally; in CI a missing service is a failure, never a skip."""
    if IN_CI:
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _clock_start(request):
    """With --clock-start the project clock starts there and ticks on for the whole session, so
    worlds built once per module and the tests that use them share one timeline."""
    start = request.config.getoption("--clock-start")
    if not start:
        yield
        return
    with clock.travel_to(clock.parse_moment(start)):
        yield


class Travel:
    """Moves the project clock within one test; every move is undone when the test ends."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack

    def to(self, moment: datetime) -> datetime:
        """The clock reads `moment` and ticks on from there."""
        self._stack.enter_context(clock.travel_to(moment))
        return moment

    def by(self, delta: timedelta) -> datetime:
        return self.to(clock.now() + delta)

    def freeze(self, moment: datetime | None = None) -> datetime:
        """The clock stands at `moment` (default: now) until the next move."""
        moment = moment or clock.now()
        self._stack.enter_context(clock.frozen_at(moment))
        return moment


@pytest.fixture
def travel():
    with ExitStack() as stack:
        yield Travel(stack)


@pytest.fixture(autouse=True)
def _services(request, settings, tmp_path):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if request.node.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        skip_or_fail("needs Redis: set REDIS_URL=redis://…")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Hashing strength is not under test; the default hasher costs ~0.3 s per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # A cache of its own for each test: nothing cached by one test is read by another.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    from socialtraining.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False


@dataclass
class World:
    organization: object
    cohort: object
    group: object
    other_group: object
    other_cohort: object
    other_organization: object
    manager: object
    instructor: object
    participant: object
    groupmate: object
    other_group_participant: object
    other_cohort_participant: object
    outsider: object
    outsider_cohort: object


@pytest.fixture
def world(db) -> World:
    f = factories
    org = f.OrganizationFactory(name="Acme Learning", slug="acme")
    other_org = f.OrganizationFactory(name="Globex Academy", slug="globex")
    cohort = f.CohortFactory(organization=org, name="Feedback that lands")
    f.WorkshopSessionFactory(cohort=cohort)
    other_cohort = f.CohortFactory(organization=org, name="Leading remote teams")
    outsider_cohort = f.CohortFactory(organization=other_org, name="Globex onboarding")
    group = f.StudyGroupFactory(cohort=cohort, name="Blue")
    other_group = f.StudyGroupFactory(cohort=cohort, name="Green")

    def member(email: str, role: str, organization=org):
        user = f.UserFactory(email=email)
        f.MembershipFactory(organization=organization, user=user, role=role)
        return user

    manager = member("manager@example.test", Role.MANAGER)
    instructor = member("instructor@example.test", Role.INSTRUCTOR)
    participant = member("participant@example.test", Role.PARTICIPANT)
    groupmate = member("groupmate@example.test", Role.PARTICIPANT)
    other_group_participant = member("green@example.test", Role.PARTICIPANT)
    other_cohort_participant = member("elsewhere@example.test", Role.PARTICIPANT)
    outsider = member("outsider@globex.test", Role.MANAGER, organization=other_org)

    f.EnrolmentFactory(cohort=cohort, user=instructor, role=CohortRole.INSTRUCTOR)
    f.EnrolmentFactory(cohort=cohort, user=participant, study_group=group)
    f.EnrolmentFactory(cohort=cohort, user=groupmate, study_group=group)
    f.EnrolmentFactory(cohort=cohort, user=other_group_participant, study_group=other_group)
    f.EnrolmentFactory(cohort=other_cohort, user=other_cohort_participant)
    f.EnrolmentFactory(
        cohort=outsider_cohort, user=f.UserFactory(email="globex-participant@globex.test")
    )
    return World(
        organization=org,
        cohort=cohort,
        group=group,
        other_group=other_group,
        other_cohort=other_cohort,
        other_organization=other_org,
        manager=manager,
        instructor=instructor,
        participant=participant,
        groupmate=groupmate,
        other_group_participant=other_group_participant,
        other_cohort_participant=other_cohort_participant,
        outsider=outsider,
        outsider_cohort=outsider_cohort,
    )


@pytest.fixture
def client_for(client):
    """Return a test client signed in as `user` (or anonymous for None)."""

    def sign_in(user):
        client.logout()
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in
