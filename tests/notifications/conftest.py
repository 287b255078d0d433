"""Fixtures for the notifications app: outbox rows left for the due-row sweep, people to notify."""

from datetime import datetime

import pytest

from notifications.models import Notification, OutboxMessage
from socialtraining import clock
from tests import factories


@pytest.fixture
def make_outbox_rows(db):
    """Write `count` pending outbox rows without enqueueing anything, as if Redis had lost them."""

    def make(count: int, *, due_at: datetime | None = None, prefix: str = "row") -> list[int]:
        due_at = due_at or clock.now()
        rows = OutboxMessage.objects.bulk_create(
            OutboxMessage(
                idempotency_key=f"{prefix}:{n}",
                to_email=f"person{n}@example.test",
                subject=f"Message {n}",
                body_text=f"Body {n}",
                due_at=due_at,
            )
            for n in range(count)
        )
        return sorted(row.pk for row in rows)

    return make


@pytest.fixture
def alice(db):
    return factories.UserFactory(email="alice@example.test")


@pytest.fixture
def bob(db):
    return factories.UserFactory(email="bob@example.test")


@pytest.fixture
def make_notifications():
    def make(user, count: int, *, read: bool = False) -> list[Notification]:
        start = Notification.objects.filter(user=user).count()
        return Notification.objects.bulk_create(
            Notification(
                user=user,
                key=f"event:{start + n}",
                title=f"Event {start + n}",
                body="Something happened",
                url="/",
                read_at=clock.now() if read else None,
            )
            for n in range(count)
        )

    return make
