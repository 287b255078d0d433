"""Fixtures for the cohorts views: roster files and a roster import waiting for confirmation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cohorts.models import RosterImport


@pytest.fixture
def csv_file():
    def make(text: str, name: str = "roster.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")

    return make


@pytest.fixture
def roster_preview(world):
    """A checked file with two good rows, not imported yet."""
    return RosterImport.objects.create(
        cohort=world.cohort,
        uploaded_by=world.instructor,
        filename="roster.csv",
        rows=[
            {"line": 2, "email": "ada@example.test", "name": "Ada Lovelace", "group": "Blue"},
            {"line": 3, "email": "grace@example.test", "name": "Grace Hopper", "group": ""},
        ],
        errors=[{"line": 4, "reason": "Bad email address “nope”."}],
        total_rows=3,
        importable_count=2,
        error_count=1,
    )
