from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from cohorts.access import CohortAccess, study_groups_visible_to
from cohorts.models import Cohort, StudyGroup
from cohorts.timeline import OFFSET_ANCHORS, Anchor, anchored_moment
from notifications.scheduling import DueRow
from socialtraining import clock
from socialtraining.markdown import render_markdown


class PostKind(models.TextChoices):
    """What a post is; insights count the four channels of social learning from it."""

    ARTICLE = "article", "Shared article"
    QUESTION = "question", "Question"
    DISCUSSION = "discussion", "Discussion"
    REPLY = "reply", "Reply"
    COMMENT = "comment", "Comment"


class Channel(models.TextChoices):
    RESEARCH = "research", "Research and gathering"
    CREATING = "creating", "Creating and developing"
    COMMUNICATION = "communication", "Communication and feedback"
    COLLABORATION = "collaboration", "Collaboration and sharing"


class Target(models.TextChoices):
    COHORT = "cohort", "The whole cohort"
    GROUPS = "groups", "Every study group (a thread each)"


class ScheduleError(ValueError):
    """A release time that cannot be worked out, with a message for the person who chose it."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# How instructors name the kinds of prompt (a thread of kind "question" is a provocative one here).
PROMPT_KIND_LABELS = {
    PostKind.QUESTION: "Provocative question",
    PostKind.ARTICLE: "Article",
    PostKind.DISCUSSION: "Plain post",
}


class Prompt(DueRow):
    """An instructor's seed (article, provocative question or post), released when due."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="prompts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(
        max_length=12,
        choices=[
            (k, label)
            for k, label in PostKind.choices
            if k in ("article", "question", "discussion")
        ],
        default=PostKind.QUESTION,
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    quote = models.TextField(blank=True)
    target = models.CharField(max_length=10, choices=Target.choices, default=Target.COHORT)
    anchor = models.CharField(max_length=12, choices=Anchor.choices, default=Anchor.NOW)
    offset_days = models.PositiveSmallIntegerField(default=0)
    # Local wall-clock time of release for offset anchors, in the cohort's time zone.
    release_time = models.TimeField(default="09:00")
    post_first = models.BooleanField(
        "Post before you see replies",
        default=False,
        help_text="Participants see their peers' replies only after posting their own.",
    )
    created_at = models.DateTimeField(default=clock.now)
    # From the form as it was rendered: a double click or a resent form schedules one prompt.
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta(DueRow.Meta):
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="prompt_status_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_prompt_per_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_offset(self) -> bool:
        return self.anchor in OFFSET_ANCHORS

    @property
    def kind_label(self) -> str:
        return PROMPT_KIND_LABELS.get(self.kind, self.get_kind_display())

    @property
    def schedule_label(self) -> str:
        if not self.is_offset:
            return "Published on request" if self.anchor == Anchor.NOW else "At a set date and time"
        days = f"{self.offset_days} day{'' if self.offset_days == 1 else 's'}"
        which = "before the first" if self.anchor == Anchor.BEFORE_FIRST else "after the last"
        release_time = self.release_time
        at = release_time if isinstance(release_time, str) else release_time.strftime("%H:%M")
        return f"{days} {which} session, at {at}"

    def compute_due_at(
        self, *, at: datetime | None = None, now: datetime | None = None
    ) -> datetime:
        """When the prompt is due (aware UTC) from its anchor, in the cohort's time zone.

        `at` is the aware moment chosen for the AT anchor. Offsets count calendar days in the
        cohort's zone and release at `release_time` on the local wall clock, so "2 days before the
        first session at 09:00" is 09:00 local on either side of a daylight-saving change. A local
        time that does not exist that day (skipped by a DST jump) lands after the gap, an hour later
        on the wall clock (cohorts.timeline).
        """
        if self.anchor == Anchor.NOW:
            return now or clock.now()
        if self.anchor == Anchor.AT:
            if at is None:
                raise ScheduleError("Choose the date and time to publish it.", "at")
            return at.astimezone(UTC)
        release_time = self.release_time
        if isinstance(release_time, str):
            # The field's default is a string until the row is saved and read back.
            release_time = time.fromisoformat(release_time)
        moment = anchored_moment(
            self.cohort, anchor=self.anchor, offset_days=self.offset_days, at=release_time
        )
        if moment is None:
            raise ScheduleError(
                "This cohort has no workshop sessions yet, so there is nothing to count days "
                "from. Add its sessions first, or pick a date and time.",
                "anchor",
            )
        return moment.astimezone(UTC)


class ThreadQuerySet(models.QuerySet["Thread"]):
    def visible(self) -> ThreadQuerySet:
        return self.filter(removed_at__isnull=True)

    def visible_to(
        self, user, cohort: Cohort, access: CohortAccess | None = None
    ) -> ThreadQuerySet:
        """Threads of `cohort` that `user` sees: its space's and those of the study groups they
        see (`cohorts.access.study_groups_visible_to`, the one rule of who sees a group)."""
        groups = study_groups_visible_to(user, cohort, access)
        return self.visible().filter(
            models.Q(study_group__isnull=True) | models.Q(study_group__in=groups), cohort=cohort
        )

    def with_unread_for(self, user) -> ThreadQuerySet:
        """Annotate `read_at` (None: never opened) and `new_posts`, others' posts since then.

        Two correlated subqueries in the list's one query, so the feed's cost does not grow.
        """
        read_at = ReadMarker.objects.filter(thread=models.OuterRef("pk"), user=user)
        new_posts = (
            Post.objects.filter(
                thread=models.OuterRef("pk"), created_at__gt=models.OuterRef("read_at")
            )
            .exclude(author=user)
            .order_by()
            .values("thread")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(read_at=models.Subquery(read_at.values("read_at")[:1])).annotate(
            new_posts=Coalesce(models.Subquery(new_posts, output_field=models.IntegerField()), 0)
        )

    def with_reply_split(self) -> ThreadQuerySet:
        """Annotate `replies` and `comments`: `reply_count` holds every post under the opening
        one, while the thread page counts replies, so the feed says "8 replies · 2 comments" as
        the thread does, not "10 replies". One correlated subquery in the list's one query."""
        replies = (
            Post.objects.filter(thread=models.OuterRef("pk"), is_opening=False, parent__isnull=True)
            .order_by()
            .values("thread")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        top_level = Coalesce(models.Subquery(replies, output_field=models.IntegerField()), 0)
        return self.annotate(replies=top_level, comments=models.F("reply_count") - top_level)


class Thread(models.Model):
    """A conversation in a space: the cohort's (study_group is null) or a study group's."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="threads")
    study_group = models.ForeignKey(
        StudyGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="threads"
    )
    prompt = models.ForeignKey(
        Prompt, on_delete=models.SET_NULL, null=True, blank=True, related_name="threads"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=PostKind.choices, default=PostKind.DISCUSSION)
    title = models.CharField(max_length=200)
    url = models.URLField(max_length=500, blank=True)
    quote = models.TextField(blank=True)
    post_first = models.BooleanField(default=False)
    pinned = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)
    last_activity_at = models.DateTimeField(default=clock.now)
    reply_count = models.PositiveIntegerField(default=0)
    reaction_count = models.PositiveIntegerField(default=0)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "-last_activity_at"]
        indexes = [
            models.Index(fields=["cohort", "study_group", "-last_activity_at"]),
            models.Index(fields=["cohort", "-created_at"]),
        ]
        # A prompt released twice still makes one thread per space. Two partial constraints
        # rather than nulls_distinct=False, which SQLite ignores and which would also make every
        # thread without a prompt collide.
        constraints = [
            models.UniqueConstraint(
                fields=["prompt", "study_group"],
                condition=models.Q(prompt__isnull=False, study_group__isnull=False),
                name="one_thread_per_prompt_and_group",
            ),
            models.UniqueConstraint(
                fields=["prompt"],
                condition=models.Q(prompt__isnull=False, study_group__isnull=True),
                name="one_cohort_thread_per_prompt",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("discussions:thread", args=[self.cohort_id, self.pk])

    def replies_seen_by(self, user, *, teaches: bool) -> bool:
        """False for a participant who has not yet replied to a "post before you see replies"
        thread: `Post.objects.seen_by`'s rule, for one thread. `teaches`: instructors and
        managers see every reply."""
        if not self.post_first or teaches:
            return True
        return Post.objects.replies_by(user).filter(thread=self).exists()


class PostQuerySet(models.QuerySet["Post"]):
    def replies_by(self, user) -> PostQuerySet:
        """`user`'s replies (not comments, not opening posts): what opens a "post before you see
        replies" thread to them."""
        return self.filter(author=user, is_opening=False, parent__isnull=True)

    def seen_by(self, user, *, teaches: bool) -> PostQuerySet:
        """Leave out what "post before you see replies" keeps from `user`: peers' replies and
        comments in such a thread until they replied to it. `teaches`: instructors and managers
        see every reply."""
        if teaches:
            return self
        replied = Post.objects.replies_by(user).filter(thread=models.OuterRef("thread"))
        return self.exclude(
            models.Q(thread__post_first=True, is_opening=False)
            & ~models.Q(author=user)
            & ~models.Exists(replied)
        )


class Post(models.Model):
    """The opening post of a thread, a reply to it, or a comment under a reply (one level)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=PostKind.choices)
    is_opening = models.BooleanField(default=False)
    body = models.TextField()
    # `body` as sanitised HTML with its mentions marked, stored by the services when the post is
    # written or edited (discussions.rendering), so no page renders Markdown on a view.
    body_html = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    endorsed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set by the form: a double click or a retried request creates one post.
    idempotency_key = models.CharField(max_length=64, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "parent", "created_at"]),
            # A thread page's replies in page order, read from the index: no sort of a long
            # thread's replies (nor a parallel plan's start-up) for each page of 50.
            models.Index(
                fields=["thread", "created_at", "id"],
                condition=models.Q(parent__isnull=True, is_opening=False),
                name="post_thread_replies_in_order",
            ),
            # The opening post, fetched with the page's comments without scanning the thread.
            models.Index(
                fields=["thread"], condition=models.Q(is_opening=True), name="post_thread_opening"
            ),
            # The posting rate limit counts a person's recent posts.
            models.Index(fields=["author", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_post_per_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.author} in {self.thread_id}"

    @property
    def channel(self) -> Channel:
        if self.thread.study_group_id:
            return Channel.COLLABORATION
        if self.kind == PostKind.ARTICLE:
            return Channel.RESEARCH
        if self.kind in (PostKind.QUESTION, PostKind.DISCUSSION):
            return Channel.CREATING
        return Channel.COMMUNICATION

    def editable_until(self) -> datetime:
        return self.created_at + timedelta(minutes=settings.POST_EDIT_WINDOW_MINUTES)

    @property
    def html(self) -> SafeString:
        """The stored HTML. A row inserted without it (raw SQL, a test's bulk insert, code merged
        from before the column) is rendered now, without mention marks, rather than shown empty;
        `manage.py render_posts` stores it."""
        if self.body_html or not self.body:
            # Sanitised by nh3 before it was stored.
            return mark_safe(self.body_html)
        return render_markdown(self.body)


class ReactionKind(models.TextChoices):
    LIKE = "like", "Like"
    LEARNED = "learned", "Learned something"
    USEFUL = "useful", "Useful"


class Reaction(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ReactionKind.choices)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user", "kind"], name="one_reaction_of_a_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on post {self.post_id}"


class Follow(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="one_follow_per_thread")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows thread {self.thread_id}"


class ReadMarker(models.Model):
    """Where a person last read a thread; newer activity makes it unread for them."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_markers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="one_read_marker_per_thread")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read thread {self.thread_id}"


class Mention(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="one_mention_per_post")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} mentioned in post {self.post_id}"


class Flag(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(max_length=500)
    created_at = models.DateTimeField(default=clock.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="one_flag_per_person")]

    def __str__(self) -> str:
        return f"Flag on post {self.post_id} by {self.user_id}"
