"""Threads and replies in the `world` cohort, made through the services as a user would."""

import uuid
from datetime import time

import pytest

from discussions import posting, prompts


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def start_thread(world):
    def start(
        *,
        author=None,
        study_group=None,
        kind="discussion",
        title="How do you say no?",
        body="Tell us about a time.",
        url="",
    ):
        return posting.thread_start(
            cohort=world.cohort,
            study_group=study_group,
            author=author or world.instructor,
            kind=kind,
            title=title,
            body=body,
            url=url,
            idempotency_key=key(),
        )

    return start


@pytest.fixture
def thread(start_thread):
    return start_thread()


@pytest.fixture
def group_thread(world, start_thread):
    return start_thread(study_group=world.group, title="Blue only")


@pytest.fixture
def other_group_thread(world, start_thread):
    return start_thread(study_group=world.other_group, title="Green only")


@pytest.fixture
def reply_to(world):
    def reply(thread, *, author=None, body="A reply.", parent=None):
        return posting.post_reply(
            thread=thread,
            author=author or world.participant,
            body=body,
            parent=parent,
            idempotency_key=key(),
        )

    return reply


@pytest.fixture
def prompt(world):
    """A question scheduled two days before the first session, at 09:00."""
    return prompts.prompt_create(
        cohort=world.cohort,
        author=world.instructor,
        kind="question",
        title="What makes feedback land?",
        body="",
        anchor="before_first",
        offset_days=2,
        release_time=time(9, 0),
    )
