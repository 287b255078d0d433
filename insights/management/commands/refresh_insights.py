from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Organization
from insights.rollups import rollups_refresh


class Command(BaseCommand):
    help = "Bring the insights rollups up to date now (beat does it every 10 minutes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", help="Only this organisation's slug.")

    def handle(self, *args, organization: str | None = None, **options) -> None:
        scope = Organization.objects.get(slug=organization) if organization else None
        count = rollups_refresh(organization=scope)
        self.stdout.write(f"Refreshed the insights of {count} cohorts.")
