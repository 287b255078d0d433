"""Saving the world cohort's edit form as its manager would: its one session moved, its time zone
changed. The form runs cohorts.hooks, so prompts, rounds and sparks follow."""

from datetime import datetime, timedelta


def cohort_edit_post(client, world, *, starts_local: datetime, time_zone: str = "Europe/Paris"):
    session = world.cohort.sessions.get()
    ends_local = starts_local + timedelta(hours=3)
    return client.post(
        f"/cohorts/{world.cohort.pk}/edit/",
        {
            "name": world.cohort.name,
            "description": "",
            "time_zone": time_zone,
            "instructors": [world.instructor.pk],
            "sessions-TOTAL_FORMS": "1",
            "sessions-INITIAL_FORMS": "1",
            "sessions-MIN_NUM_FORMS": "0",
            "sessions-MAX_NUM_FORMS": "1000",
            "sessions-0-id": str(session.pk),
            "sessions-0-starts_at": f"{starts_local:%Y-%m-%dT%H:%M}",
            "sessions-0-ends_at": f"{ends_local:%Y-%m-%dT%H:%M}",
        },
    )
