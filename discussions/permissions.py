"""What a person may do with a post: the one rule behind the buttons the thread page shows and the
checks the services make before they write. A refusal is a sentence for the person; None allows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from accounts.models import User
from discussions.models import Post, PostKind
from socialtraining import clock


@dataclass(frozen=True)
class PostPermissions:
    post: Post
    user: User
    # Instructors of the cohort and managers of its organisation moderate its posts.
    may_moderate: bool = False
    now: datetime | None = None

    @property
    def _shown(self) -> bool:
        return not (self.post.removed_at or self.post.hidden_at)

    @property
    def _own(self) -> bool:
        return self.post.author_id == self.user.pk

    def edit_refusal(self) -> str | None:
        if not self._own:
            return "Only its author can edit a post."
        if self.post.removed_at:
            return "This post was removed: it can no longer be edited."
        if (self.now or clock.now()) > self.post.editable_until():
            return (
                f"Posts can be edited for {settings.POST_EDIT_WINDOW_MINUTES} minutes after "
                "posting; this one can no longer be changed. Your text is kept below: post it as "
                "a new reply if it still matters."
            )
        return None

    def remove_refusal(self) -> str | None:
        if not self._own and not self.may_moderate:
            return "Only its author or an instructor can remove a post."
        return None

    def react_refusal(self) -> str | None:
        if not self._shown:
            return "This post was removed or is hidden: it takes no reactions."
        return None

    def endorse_refusal(self) -> str | None:
        """A reply that is still there; who endorses (those who teach) is the caller's check."""
        if self.post.kind != PostKind.REPLY or self.post.removed_at:
            return "Only a reply can be endorsed."
        return None

    def flag_refusal(self) -> str | None:
        """Whether this person may flag at all; whether they already did is moderation's check."""
        if self._own:
            return "You can't flag your own post. You can edit or delete it instead."
        if self.post.removed_at:
            return "This post was removed: there is nothing left to flag."
        return None

    # What the thread page offers: the same rules, and only on a post it shows.

    @property
    def can_edit(self) -> bool:
        return self._shown and self.edit_refusal() is None

    @property
    def can_remove(self) -> bool:
        return not self.post.removed_at and self.remove_refusal() is None

    @property
    def can_react(self) -> bool:
        return self.react_refusal() is None

    @property
    def can_endorse(self) -> bool:
        return self.may_moderate and self._shown and self.endorse_refusal() is None

    @property
    def can_flag(self) -> bool:
        return self.flag_refusal() is None

    @property
    def can_moderate(self) -> bool:
        """Turn into a spark, and the tools that come on demand ("Moderate", post_moderate)."""
        return self.may_moderate and not self.post.removed_at
