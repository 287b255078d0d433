"""Who may see which discussion space, thread and post: built on cohorts.access.

A space is a cohort's own (study_group None), seen by anyone who may view the cohort, or a study
group's, seen by its members, the cohort's instructors and the organisation's managers. Anything
else is a 404, like every other object.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from accounts.models import User
from cohorts.access import (
    Action,
    CohortAccess,
    get_cohort_for,
    get_cohort_row_for,
    get_study_group_for,
)
from cohorts.models import Cohort, CohortRole, Enrolment, StudyGroup
from discussions.models import Post, Prompt, Thread


@dataclass(frozen=True)
class Space:
    cohort: Cohort
    study_group: StudyGroup | None = None

    @property
    def name(self) -> str:
        if self.study_group is None:
            return f"{self.cohort.name} discussions"
        return f"Study group {self.study_group.name} discussions"

    @property
    def feed_url(self) -> str:
        if self.study_group is None:
            return reverse("discussions:feed", args=[self.cohort.pk])
        return reverse("discussions:group_feed", args=[self.cohort.pk, self.study_group.pk])

    @property
    def new_thread_url(self) -> str:
        if self.study_group is None:
            return reverse("discussions:thread_new", args=[self.cohort.pk])
        return reverse("discussions:group_thread_new", args=[self.cohort.pk, self.study_group.pk])

    def threads(self) -> QuerySet[Thread]:
        return Thread.objects.visible().filter(cohort=self.cohort, study_group=self.study_group)


def get_space_for(
    user: User, cohort_pk: int, group_pk: int | None = None
) -> tuple[Space, CohortAccess]:
    if group_pk is None:
        cohort, access = get_cohort_for(user, cohort_pk)
        return Space(cohort), access
    group, access = get_study_group_for(user, cohort_pk, group_pk)
    return Space(group.cohort, group), access


def space_of(thread: Thread) -> Space:
    return Space(thread.cohort, thread.study_group)


def threads_of_participant(user: User) -> QuerySet[Thread]:
    """Threads `user` sees as a participant, across cohorts: each cohort's space and their own
    study group's (the home page's "new for you"; instructors' spaces are their cohorts')."""
    mine = Enrolment.objects.filter(user=user, role=CohortRole.PARTICIPANT)
    return Thread.objects.visible().filter(
        Q(study_group__isnull=True) | Q(study_group_id__in=mine.values("study_group_id")),
        cohort_id__in=mine.values("cohort_id"),
    )


def get_thread_for(
    user: User, cohort_pk: int, pk: int, action: Action = "view"
) -> tuple[Thread, CohortAccess]:
    """The thread if `user` sees it and may do `action` in its cohort ("teach" to moderate), and
    what they may do there."""
    cohort, access = get_cohort_for(user, cohort_pk, action)
    thread = (
        Thread.objects.visible_to(user, cohort, access)
        .select_related("study_group", "author")
        .filter(pk=pk)
        .first()
    )
    if thread is None:
        raise Http404("No such thread.")
    thread.cohort = cohort
    return thread, access


def get_post_for(
    user: User, cohort_pk: int, thread_pk: int, pk: int, action: Action = "view"
) -> tuple[Post, CohortAccess]:
    """The post, unless it is a peer's reply or comment still hidden from `user` (post-first)."""
    thread, access = get_thread_for(user, cohort_pk, thread_pk, action)
    post = Post.objects.select_related("author", "endorsed_by").filter(thread=thread, pk=pk).first()
    if post is None or (
        not post.is_opening
        and post.author_id != user.pk
        and not thread.replies_seen_by(user, teaches=access.can_teach)
    ):
        raise Http404("No such post.")
    post.thread = thread
    return post, access


def get_prompt_for(user: User, cohort_pk: int, pk: int) -> tuple[Prompt, CohortAccess]:
    """A prompt of the cohort, for its instructors and the organisation's managers only."""
    return get_cohort_row_for(user, cohort_pk, Prompt.objects.all(), pk, missing="No such prompt.")
