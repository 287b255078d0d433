"""Rows of the scaled seed written with PostgreSQL's COPY rather than `bulk_create`.

At `seed_demo --scale 50000` the seed writes millions of rows. `bulk_create` prepares every value of
every row through the field's `get_db_prep_save` and sends them as arrays: most of the seed's time
went there. Here the primary keys are drawn from the table's sequence first (one query, so children
can point at their parents before anything is sent), then the rows are streamed with COPY, values
taken from the instances as they are. Other databases (the SQLite benchmark) use `bulk_create`.

Only models whose fields hold values the driver adapts itself are written this way (numbers,
text, booleans, dates, foreign keys); a field of another type, or one that fills itself on save
(`auto_now`), sends the rows through `bulk_create` instead, so nothing is written differently.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

# Field types whose Python value psycopg writes as Django would.
_PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateField",
        "DateTimeField",
        "EmailField",
        "FloatField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
        "TimeField",
        "URLField",
    }
)


def rows_insert(
    model: type[models.Model], rows: Sequence[models.Model], *, batch_size: int
) -> None:
    """Insert `rows` (unsaved instances of `model`) and give each its primary key, as
    `bulk_create` does: a child's foreign key may name a parent inserted just before."""
    if not rows:
        return
    fields = model._meta.concrete_fields
    if connection.vendor != "postgresql" or not all(_plain(f) for f in fields):
        model.objects.bulk_create(rows, batch_size=batch_size)
        return
    from psycopg import sql  # only with PostgreSQL

    _primary_keys_draw(model, rows)
    columns = [f.column for f in fields]
    # A foreign key whose parent was unsaved when the child was built is read from the parent.
    relations = [(n, f.name) for n, f in enumerate(fields) if f.is_relation]
    attnames = [f.attname for f in fields]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = row.__dict__
            line = [values[a] for a in attnames]
            cache = row._state.fields_cache
            for n, name in relations:
                if line[n] is None and name in cache and cache[name] is not None:
                    line[n] = cache[name].pk
            copy.write_row(line)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


def _plain(field: models.Field) -> bool:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return False
    return field.get_internal_type() in _PLAIN_TYPES


def _primary_keys_draw(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Take the next keys of the table's sequence for the rows without one (one query)."""
    pk = model._meta.pk
    missing = [row for row in rows if row.pk is None]
    if not missing:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(sequence) FROM pg_get_serial_sequence(%s, %s) AS sequence, "
            "generate_series(1, %s)",
            [model._meta.db_table, pk.column, len(missing)],
        )
        for row, (key,) in zip(missing, cursor.fetchall(), strict=True):
            setattr(row, pk.attname, key)
