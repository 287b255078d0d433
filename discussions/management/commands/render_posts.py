"""`manage.py render_posts`: store every post's HTML again after a Markdown or sanitiser change."""

import time

from django.core.management.base import BaseCommand, CommandParser

from discussions.models import Mention, Post
from discussions.rendering import RENDER_BATCH, posts_html_render


class Command(BaseCommand):
    help = (
        "Render every post's stored HTML again from its Markdown and its mentions, after a change "
        "of socialtraining/markdown.py (Markdown options, sanitiser allow-list). Writes only the "
        "posts whose HTML changed, so running it twice changes nothing the second time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--missing",
            action="store_true",
            help="Only posts with text and no stored HTML (rows inserted without it).",
        )
        parser.add_argument("--batch", type=int, default=RENDER_BATCH, help="Posts per batch.")

    def handle(self, *args, missing: bool, batch: int, **options) -> None:
        started = time.perf_counter()
        read, changed = posts_html_render(Post, Mention, missing_only=missing, batch=batch)
        seconds = time.perf_counter() - started
        self.stdout.write(f"{read} posts read, {changed} changed, in {seconds:.1f} s.")
