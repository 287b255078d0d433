"""`manage.py seed_demo`: the demo organisation, or with --scale a large one for benchmarks."""

import time

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from accounts.models import Organization
from demo import bench_seed, seeding
from insights.rollups import rollups_refresh
from notifications import scheduling


class Command(BaseCommand):
    help = (
        "Create the demo organisation “Northwind Learning” (slug demo) with three cohorts, or with "
        "--scale N a benchmark organisation (slug bench) of N participants in N/100 cohorts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            help="Build the benchmark organisation with this many participants instead.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the organisation and its people first, then build it again.",
        )

    def handle(self, *args, scale: int, reset: bool, verbosity: int, **options) -> None:
        slug = seeding.BENCH_SLUG if scale else seeding.DEMO_SLUG
        if reset:
            seeding.organization_delete(slug=slug)
            self.stdout.write(f"Deleted the organisation “{slug}” and its people.")
        elif seeding.organization_exists(slug=slug):
            self.stdout.write(
                f"The organisation “{slug}” already exists; left as it is (--reset rebuilds it)."
            )
            return

        started = time.perf_counter()
        # Seeding writes history: it leaves the dispatcher nothing to do when the demo starts.
        with scheduling.kicks_held():
            if scale:
                counts = bench_seed.bench_organization_create(participants=scale)
            else:
                counts = seeding.demo_organization_create()
        elapsed = time.perf_counter() - started
        if scale and connection.vendor == "postgresql":
            # Statistics for the tables just filled with millions of rows, as autovacuum would
            # gather later: without them the planner guesses, and the rollups' queries below
            # took minutes at --scale 50000 instead of seconds.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        # The dashboards read rollups that beat refreshes every 10 minutes; fill them now so a
        # fresh demo opens with numbers.
        rollups_refresh(organization=Organization.objects.get(slug=slug))
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Created “{slug}”: {summary}."))
        self.stdout.write(f"elapsed_seconds={elapsed:.2f}")
        if not scale and verbosity:
            self.stdout.write(f"Sign in with any demo account and the password {seeding.PASSWORD}:")
            for email in seeding.DEMO_LOGINS:
                self.stdout.write(f"  {email}")
