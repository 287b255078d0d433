"""The demo organisation, loaded once for the whole package: `seed_demo` replays two months of
sparks through the real services (about half a minute), so it is seeded once per run
(tests/demo_snapshot.py, shared with the browser tests), and these tests only read what it built.

`demo_seeded` keeps the rows in an outer transaction rolled back when the package ends
(tests/conftest.py `rows_kept`); each test runs in its own savepoint on top, so a test that seeds
again, resets or builds the scaled organisation leaves the next test the same demo. Under
pytest-xdist the package goes to one worker whole (tests/conftest.py `_Scheduler`), so the demo
is loaded once.
"""

import pytest
from django.contrib.contenttypes.models import ContentType

from accounts.models import Organization
from tests import demo_snapshot
from tests.conftest import rows_kept


@pytest.fixture(scope="package")
def demo_seeded(demo_rows, django_db_blocker):
    with rows_kept(django_db_blocker, "demo"):
        demo_snapshot.load(demo_rows)
        yield
    # The content types cached from the copy are rolled back with it.
    ContentType.objects.clear_cache()


@pytest.fixture
def demo(demo_seeded, db) -> Organization:
    return Organization.objects.get(slug="demo")
