"""Personas and service checks shared by the whole suite.

The personas: a manager of the organisation, an instructor and a participant of `cohort` (the
participant is in `group`), a participant of another cohort of the same organisation, a member of
another organisation, an anonymous visitor, the participant's coach and a coach of someone else
(the participant of the other group).

Worlds that cost seconds and are only read (the access matrix, the CSRF walk, the demo seed) are
built once per module or package inside `rows_kept`: an outer transaction rolled back when the
scope ends, as Django's `setUpTestData` does for a class. Each test still runs in its own
savepoint on top, so it sees the rows fresh whatever the test before it wrote.
"""

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, override_settings
from xdist.scheduler import LoadScopeScheduling

from accounts.models import Role, User
from cohorts.models import CohortRole
from socialtraining import clock
from tests import demo_snapshot, factories
from tests.browser import axe

# Modules whose tests share one costly world (a module-scoped fixture): under pytest-xdist each
# goes to a single worker whole, so the world is built once. (The demo, which every test of
# tests/demo and the browser sweeps read, is seeded once per run whatever the worker:
# tests/demo_snapshot.py.)
KEPT_TOGETHER = ("tests/demo/test_scale_seed.py::",)

# The units of work that take tens of seconds, longest first (measured with --durations): under
# pytest-xdist they start before the quick ones, which then fill in around them, so no worker is
# left running a long one at the end while the other idles. The first prefix that matches wins.
START_FIRST = (
    "tests/demo/test_scale_seed_queries.py",
    "tests/notifications/test_delivery_faults.py::test_it_carries_on_by_itself_after_redis",
    "tests/demo/test_scale_seed.py",
    "tests/demo/test_seed_demo.py::test_it_rebuilds_the_demo_organisation_with_reset",
    "tests/project/test_demo_delivery.py",
    "tests/notifications/test_delivery_faults.py",
    "tests/browser/test_accessibility.py",
    "tests/cohorts/test_roster.py::test_it_imports_5000_rows_in_a_worker",
    "tests/demo/",
    "tests/discussions/test_fanout.py::test_forty_people_replying",
    "tests/sparks/test_e2e_worker.py",
    "tests/browser/test_phone_layout.py",
    "tests/browser/",
    "tests/cohorts/test_roster_resume.py",
    "tests/project/",
)


def start_rank(scope: str) -> int:
    """Where a unit of work starts in the queue: by START_FIRST, then everything else."""
    return next(
        (rank for rank, prefix in enumerate(START_FIRST) if scope.startswith(prefix)),
        len(START_FIRST),
    )


class _Scheduler(LoadScopeScheduling):
    """pytest-xdist's load balancing, test by test, except that each prefix of KEPT_TOGETHER is
    one unit of work, and the units START_FIRST names are handed out first. xdist's own
    `loadgroup` cannot do it here: it renames items in a way pytest 9 ignores."""

    def _split_scope(self, nodeid: str) -> str:
        return next((p for p in KEPT_TOGETHER if nodeid.startswith(p)), nodeid)

    def _assign_work_unit(self, node) -> None:
        # The queue is whole by the first assignment; the sort is stable, so the rest keeps its
        # order (tests of a module next to each other, sharing its module-scoped world).
        if not getattr(self, "_started", False):
            self._started = True
            self.workqueue = OrderedDict(
                sorted(self.workqueue.items(), key=lambda unit: start_rank(unit[0]))
            )
        super()._assign_work_unit(node)


# Optional: with -p no:xdist the hook does not exist.
@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    # With -n and the default --dist=load; any other --dist the caller chose stands.
    if config.getvalue("dist") == "load":
        return _Scheduler(config, log)
    return None


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


# The access matrix and the CSRF walk must never cover fewer cases: the summary of every run that
# includes them says how many ran, by test function.
CASE_TABLES = {
    "access matrix (URL x persona)": (
        "tests/test_access_matrix.py::test_it_gives_each_persona_the_expected_outcome",
    ),
    "CSRF walk (URL x form/htmx x without/with the token)": (
        "tests/test_csrf.py::test_it_refuses_a_post_without_the_token",
        "tests/test_csrf.py::test_it_accepts_a_post_with_the_token",
    ),
}


def pytest_terminal_summary(terminalreporter):
    ran: dict[str, set[str]] = {name: set() for name in CASE_TABLES}
    passed: dict[str, set[str]] = {name: set() for name in CASE_TABLES}
    for reports in terminalreporter.stats.values():
        for report in reports:
            # Only test reports: `-k` or `-m` files the items it left out under "deselected".
            if not hasattr(report, "when"):
                continue
            nodeid = report.nodeid
            for name, functions in CASE_TABLES.items():
                if nodeid.split("[")[0] in functions:
                    ran[name].add(nodeid)
                    if report.when == "call" and report.passed:
                        passed[name].add(nodeid)
    # The browser tests' axe-core checks, from the reports (under pytest-xdist the tests ran in
    # other processes): page, role and width of each.
    audited = [
        tuple(checked)
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "teardown"
        for name, value in getattr(report, "user_properties", ())
        if name == axe.CHECKED
        for checked in value
    ]
    if not any(ran.values()) and not audited:
        return
    terminalreporter.section("cases")
    for name in CASE_TABLES:
        if ran[name]:
            terminalreporter.line(f"{name}: {len(ran[name])} cases ran, {len(passed[name])} passed")
    if audited:
        terminalreporter.line(axe.AxeTally(audited).summary())


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


@pytest.fixture(scope="session", autouse=True)
def _test_settings():
    """For the whole session, so worlds built once per module get them too."""
    from socialtraining.celery import app

    with override_settings(
        CELERY_TASK_ALWAYS_EAGER=True,
        # Hashing strength is not under test; the default hasher costs ~0.3 s per user.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STORAGES={
            **django_settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    ):
        app.conf.task_always_eager = True
        app.conf.task_eager_propagates = True
        yield
        app.conf.task_always_eager = False


# What the post_migrate handlers write (content types, permissions) and the migrations' record:
# the same for every test, so a transactional test's cleanup leaves them in place.
KEPT_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


def _tables_emptied() -> None:
    """A transactional test's cleanup on PostgreSQL: every row the test left is deleted, as Django's
    flush deletes them, but with DELETE rather than TRUNCATE and without writing the content types
    and permissions again. TRUNCATE gives each of the ~75 tables and their indexes new files, a
    second or more per test for tables that hold a few rows, and the post_migrate handlers that
    rewrite content types and permissions cost a few hundred milliseconds more."""
    with transaction.atomic(), connection.cursor() as cursor:
        tables = sorted(set(connection.introspection.table_names(cursor)) - KEPT_TABLES)
        # The foreign keys Django makes are deferrable: checked at commit, when all rows are gone.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("; ".join(f"DELETE FROM {connection.ops.quote_name(t)}" for t in tables))


@pytest.fixture(scope="session", autouse=True)
def _transactional_cleanup():
    from django.test import TransactionTestCase

    flush = TransactionTestCase._fixture_teardown

    def fixture_teardown(test_case) -> None:
        plain = test_case.available_apps is None and not test_case.serialized_rollback
        if connection.vendor == "postgresql" and plain and test_case.databases == {"default"}:
            _tables_emptied()
        else:
            flush(test_case)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", fixture_teardown)
        yield


@pytest.fixture(autouse=True)
def _services(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if request.node.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        skip_or_fail("needs Redis: set REDIS_URL=redis://…")
    if _kept_scopes and _is_transactional(request):
        pytest.fail(
            "a transactional test cannot run while rows_kept holds its module's transaction "
            "open: move it to another module"
        )
    # Nothing cached by one test (survey results, say) is read by another.
    cache.clear()


_kept_scopes: list[str] = []


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )


@contextmanager
def rows_kept(django_db_blocker, name: str = "") -> Iterator[None]:
    """Rows written in the block stay until it ends, then are rolled back: for module-, class-
    or package-scoped fixtures (`setUpTestData` for pytest). Tests of that scope run in savepoints
    on top, so one test's writes never reach the next. Tests there must not be transactional."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        # As Django's TestCase marks its class-level transaction: durable blocks inside the
        # services stay allowed, as they are under a test's own transaction.
        atomic._from_testcase = True
        atomic.__enter__()
        _kept_scopes.append(name)
        try:
            yield
        finally:
            _kept_scopes.pop()
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="session")
def demo_rows(tmp_path_factory, worker_id, django_db_setup, django_db_blocker):
    """The demo organisation's rows as `seed_demo` writes them, seeded once for the whole run
    whatever the number of workers (tests/demo_snapshot.py); `demo_snapshot.load(demo_rows)` puts
    them in the test's database."""
    folder = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        # Under pytest-xdist each worker's folder is inside one folder of the run's own.
        folder = folder.parent
    return demo_snapshot.seeded_once(folder, rows_kept(django_db_blocker, "demo snapshot"))


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
    coach: object
    other_coach: object


@pytest.fixture
def world(db) -> World:
    return world_build()


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The world built once for a module that only reads it; rolled back after the module."""
    with rows_kept(django_db_blocker, "module_world"):
        yield world_build()


@pytest.fixture(scope="module")
def module_sessions(module_world, django_db_blocker) -> dict[str, str]:
    """Each person of `module_world` signed in once for the module: their session key by
    persona name (the World's field). Sent as the session cookie, it is what a browser sends once
    signed in; the sessions live in the module's transaction, so a test that logs out or rotates a
    session has it back for the next test."""
    sessions = {}
    with django_db_blocker.unblock():
        for persona, user in vars(module_world).items():
            if isinstance(user, User):
                client = Client()
                client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
                sessions[persona] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return sessions


def world_build() -> World:
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
    coach = member("coach@example.test", Role.COACH)
    other_coach = member("other-coach@example.test", Role.COACH)

    f.EnrolmentFactory(cohort=cohort, user=instructor, role=CohortRole.INSTRUCTOR)
    f.EnrolmentFactory(cohort=cohort, user=participant, study_group=group, coach=coach)
    f.EnrolmentFactory(cohort=cohort, user=groupmate, study_group=group)
    f.EnrolmentFactory(
        cohort=cohort, user=other_group_participant, study_group=other_group, coach=other_coach
    )
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
        coach=coach,
        other_coach=other_coach,
    )


@pytest.fixture
def client_for(client):
    """Return a test client signed in as `user` (or anonymous for None)."""

    def sign_in(user):
        # A client that never signed in has nothing to log out of (and `logout` would first
        # write a session just to delete it).
        if django_settings.SESSION_COOKIE_NAME in client.cookies:
            client.logout()
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


@pytest.fixture
def deliver():
    """Work everything due now in this process, as the dispatcher and the workers would after the
    request: post fan-outs, prompt releases, spark asks, survey rounds, the outbox (into Django's
    test mail outbox). Returns how many rows were worked."""
    from notifications import scheduling

    def run() -> int:
        total = 0
        for _ in range(20):
            worked = sum(scheduling.run_now(kind.name) for kind in scheduling.due_kinds())
            total += worked
            if not worked:
                return total
        raise AssertionError("Due work keeps coming: a kind makes itself due again at once.")

    return run
