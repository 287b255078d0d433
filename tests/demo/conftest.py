"""The demo organisation, seeded once for the whole package: `seed_demo` replays two months of
sparks through the real services (about half a minute), and these tests only read what it built.

`demo_seeded` keeps the seed in an outer transaction rolled back when the package ends
(tests/conftest.py `rows_kept`); each test runs in its own savepoint on top, so a test that seeds
again, resets or builds the scaled organisation leaves the next test the same demo. Under
pytest-xdist the package goes to one worker whole (tests/conftest.py `_Scheduler`), so the demo
is seeded once.
"""

import pytest
from django.core.management import call_command

from accounts.models import Organization
from tests.conftest import rows_kept


@pytest.fixture(scope="package")
def demo_seeded(django_db_setup, django_db_blocker):
    with rows_kept(django_db_blocker, "demo"):
        call_command("seed_demo", verbosity=0)
        yield


@pytest.fixture
def demo(demo_seeded, db) -> Organization:
    return Organization.objects.get(slug="demo")
