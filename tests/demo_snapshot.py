"""The demo organisation seeded once per run, then copied into each test that needs it.

`seed_demo` replays two months of history through the real services: tens of seconds, every time.
The first pytest-xdist worker to need the demo seeds it in its own database inside a transaction,
copies every table out with PostgreSQL's COPY into a file all the run's workers share, and rolls
the seed back; the other workers wait for that file rather than seed again. A test then gets the
very rows `seed_demo` wrote by copying them into its database (about a second): the tables are
emptied first, foreign keys are checked when the copy commits, and the id sequences moved past the
copied rows so the test's own writes get fresh ids.
"""

import fcntl
import os
import pickle
from contextlib import AbstractContextManager
from pathlib import Path

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

Snapshot = dict[str, bytes]


def _tables() -> list[str]:
    """Every table of the project's models (not django_migrations, which the copy leaves alone)."""
    return sorted(connection.introspection.django_table_names(only_existing=True))


def _quoted(table: str) -> str:
    return connection.ops.quote_name(table)


def dump() -> Snapshot:
    """Every table's rows as they are now (in this connection's transaction), in COPY's binary
    format: exact for every column type, and the database of another worker reads it as is, since
    they share the same migrations."""
    snapshot: Snapshot = {}
    with connection.cursor() as cursor:
        for table in _tables():
            with cursor.cursor.copy(f"COPY {_quoted(table)} TO STDOUT (FORMAT BINARY)") as copy:
                snapshot[table] = b"".join(bytes(chunk) for chunk in copy)
    return snapshot


def load(snapshot: Snapshot) -> None:
    """Replace every table's rows with the snapshot's. Elsewhere than PostgreSQL (SQLite, the
    default without DATABASE_URL) there is no COPY: the test seeds the demo itself."""
    if connection.vendor != "postgresql":
        call_command("seed_demo", verbosity=0)
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # DELETE rather than TRUNCATE: the tables hold few rows here (a transactional test's
        # cleanup left them empty but for content types and permissions), and TRUNCATE makes new
        # files for every table and index, most of a second each time. Foreign keys are checked
        # at commit, once the copy is in.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("; ".join(f"DELETE FROM {_quoted(t)}" for t in snapshot))
        for table, rows in snapshot.items():
            with cursor.cursor.copy(f"COPY {_quoted(table)} FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(rows)
        models = apps.get_models(include_auto_created=True)
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
    # Content types are cached by id in this process; the copied ones may have other ids.
    ContentType.objects.clear_cache()


def seeded_once(folder: Path, kept: AbstractContextManager) -> Snapshot:
    """The demo's snapshot, from `folder` (shared by the run's workers) if a worker has made it,
    else made here: seeded inside `kept` (a transaction rolled back once the rows are copied)."""
    if connection.vendor != "postgresql":
        # Nothing to copy: `load` seeds each time.
        return {}
    path = folder / "demo-snapshot.pickle"
    with (folder / "demo-snapshot.lock").open("w") as lock:
        # One worker seeds; another that needs the demo meanwhile waits for its file.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return pickle.loads(path.read_bytes())
        with kept:
            call_command("seed_demo", verbosity=0)
            snapshot = dump()
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(pickle.dumps(snapshot))
        partial.replace(path)
        return snapshot
