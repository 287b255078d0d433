from django.core import mail

from accounts.models import Invitation, Membership, User
from cohorts import roster_imports
from cohorts.models import Enrolment, RosterImport
from notifications import scheduling
from notifications.models import OutboxMessage
from tests import factories

GOOD_AND_BAD = """Email,Name,Group
ada@example.test,Ada Lovelace,Blue
not-an-email,Nobody,
grace@example.test,Grace Hopper,
ADA@example.test,Ada Again,
linus@example.test,Linus,Purple
short@example.test
"""


def _roster_url(world):
    return f"/cohorts/{world.cohort.pk}/roster/"


def _upload(client, world, file):
    response = client.post(_roster_url(world), {"file": file})
    assert response.status_code == 302, response.content.decode()[:500]
    return RosterImport.objects.latest("pk"), response["Location"]


def test_it_previews_good_rows_and_every_bad_row_by_line_number(world, client_for, csv_file):
    client = client_for(world.instructor)
    roster_import, location = _upload(client, world, csv_file(GOOD_AND_BAD))
    assert [r["email"] for r in roster_import.rows] == ["ada@example.test", "grace@example.test"]
    assert [(e["line"], e["reason"].split(" ")[0]) for e in roster_import.errors] == [
        (3, "Bad"),
        (5, "Duplicate:"),
        (6, "Unknown"),
        (7, "Missing"),
    ]
    body = client.get(location).content.decode()
    assert "2 rows can be imported; 4 problems found. Nothing has been imported yet." in body
    assert "<td>5</td><td>Duplicate: ada@example.test is already on line 2.</td>" in body
    assert "Unknown study group “Purple”" in body
    assert "Import 2 people" in body
    assert not Enrolment.objects.filter(user__email="ada@example.test").exists()
    assert not User.objects.filter(email="grace@example.test").exists()


def test_it_explains_a_header_without_the_required_columns(world, client_for, csv_file):
    client = client_for(world.instructor)
    roster_import, location = _upload(client, world, csv_file("mail,full name\na@b.test,A\n"))
    assert roster_import.rows == []
    assert roster_import.errors[0]["line"] == 1
    body = client.get(location).content.decode()
    assert "Missing column: the header row needs email and name" in body
    assert "Import " not in body


def test_it_reads_semicolons_and_a_byte_order_mark(world, client_for, csv_file):
    text = "\ufeffNAME;EMAIL\n“Zoë” Ñúñez;zoe@example.test\n"
    roster_import, _ = _upload(client_for(world.instructor), world, csv_file(text))
    assert roster_import.errors == []
    assert roster_import.rows == [
        {"line": 2, "email": "zoe@example.test", "name": "“Zoë” Ñúñez", "group": ""}
    ]


def test_it_reports_a_file_that_is_not_utf8(world, client_for, csv_file):
    file = csv_file("email,name\nzoe@example.test,Zoë\n", encoding="latin-1")
    roster_import, _ = _upload(client_for(world.instructor), world, file)
    assert roster_import.rows == []
    assert "not UTF-8" in roster_import.errors[0]["reason"]


def test_it_reports_a_field_too_long_for_the_csv_reader_by_its_line(world, client_for, csv_file):
    text = "email,name\nada@example.test,Ada\ngrace@example.test," + "x" * 200_000 + "\n"
    roster_import, location = _upload(client_for(world.instructor), world, csv_file(text))
    assert [r["email"] for r in roster_import.rows] == ["ada@example.test"]
    assert roster_import.errors[0]["line"] == 3
    body = client_for(world.instructor).get(location).content.decode()
    assert "A field is longer than 1,000 characters" in body


def test_it_refuses_a_name_longer_than_a_person_may_have(world, client_for, csv_file):
    text = "email,name\nada@example.test," + "A" * 151 + "\ngrace@example.test,Grace\n"
    roster_import, _ = _upload(client_for(world.instructor), world, csv_file(text))
    assert [r["email"] for r in roster_import.rows] == ["grace@example.test"]
    assert roster_import.errors == [
        {"line": 2, "reason": "The name is longer than 150 characters; shorten it."}
    ]


def test_it_asks_for_a_file_when_none_is_sent(world, client_for):
    response = client_for(world.instructor).post(_roster_url(world), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_it_imports_on_confirmation_and_invites_new_people(
    world, client_for, roster_preview, django_capture_on_commit_callbacks
):
    url = f"/cohorts/{world.cohort.pk}/roster/{roster_preview.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.instructor).post(url)
    assert response["Location"] == url
    ada = Enrolment.objects.get(cohort=world.cohort, user__email="ada@example.test")
    assert ada.study_group == world.group
    assert ada.user.display_name == "Ada Lovelace"
    assert not ada.user.has_usable_password()
    assert Membership.objects.filter(organization=world.organization, user=ada.user).exists()
    assert Invitation.objects.filter(organization=world.organization).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.test", "grace@example.test"]
    roster_preview.refresh_from_db()
    assert roster_preview.status == "done"
    assert (roster_preview.created_count, roster_preview.enrolled_count) == (2, 2)
    body = client_for(world.instructor).get(url).content.decode()
    assert "2 newly enrolled" in body
    assert "every 1s" not in body


def test_it_changes_nothing_when_the_same_file_is_imported_twice(
    world, client_for, csv_file, django_capture_on_commit_callbacks
):
    text = "email,name,group\nada@example.test,Ada,Blue\nparticipant@example.test,P,Blue\n"
    client = client_for(world.instructor)
    for _ in range(2):
        roster_import, location = _upload(client, world, csv_file(text))
        with django_capture_on_commit_callbacks(execute=True):
            client.post(location)
    roster_import.refresh_from_db()
    assert (roster_import.created_count, roster_import.enrolled_count) == (0, 0)
    assert roster_import.unchanged_count == 2
    assert User.objects.filter(email="ada@example.test").count() == 1
    assert Enrolment.objects.filter(cohort=world.cohort).count() == 5
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_it_moves_an_enrolled_participant_only_when_the_file_names_another_group(
    world, client_for, csv_file
):
    client = client_for(world.instructor)
    text = "email,name,group\nparticipant@example.test,P,Green\ngroupmate@example.test,G,\n"
    _, location = _upload(client, world, csv_file(text))
    client.post(location)
    assert Enrolment.objects.get(user=world.participant).study_group == world.other_group
    assert Enrolment.objects.get(user=world.groupmate).study_group == world.group


def test_it_confirms_once_only(world, client_for, roster_preview):
    url = f"/cohorts/{world.cohort.pk}/roster/{roster_preview.pk}/"
    client = client_for(world.manager)
    client.post(url)
    Enrolment.objects.filter(user__email="ada@example.test").delete()
    client.post(url)
    assert not Enrolment.objects.filter(user__email="ada@example.test").exists()


def test_it_imports_5000_rows_in_a_worker_with_a_progress_bar(
    world,
    client_for,
    csv_file,
    settings,
    django_assert_max_num_queries,
):
    settings.ROSTER_INLINE_MAX_ROWS = 200
    existing = factories.UserFactory(email="person-7@bulk.test")
    lines = ["email;name;group"] + [
        f"Person-{n}@bulk.test;Person {n};{'Blue' if n % 2 else ''}" for n in range(5000)
    ]
    client = client_for(world.instructor)
    roster_import, location = _upload(client, world, csv_file("\n".join(lines)))
    assert len(roster_import.rows) == 5000

    client.post(location)
    roster_import.refresh_from_db()
    assert roster_import.status == "queued"
    page = client.get(location).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "<progress" in page and 'href="' + location + '"' in page

    # One chunk of 500 per run of the import's job, in a constant number of queries per chunk;
    # each chunk's invitations go into the outbox with it.
    runs = 0
    while roster_import.status != "done" and runs < 20:
        with django_assert_max_num_queries(45):
            assert scheduling.run_now(roster_imports.ROSTER_IMPORT_JOB) == 1
        roster_import.refresh_from_db()
        runs += 1
    assert runs == 10
    assert OutboxMessage.objects.filter(idempotency_key__startswith="invitation:").count() == 4999
    # The person who already had an account is told they were enrolled.
    assert existing.notifications.filter(title__startswith="You were enrolled").exists()
    roster_import.refresh_from_db()
    assert roster_import.status == "done", roster_import.failure
    assert roster_import.processed_rows == 5000
    assert (roster_import.created_count, roster_import.enrolled_count) == (4999, 5000)
    assert Enrolment.objects.filter(cohort=world.cohort).count() == 5004
    assert Enrolment.objects.filter(cohort=world.cohort, study_group=world.group).count() == 2502
    assert Invitation.objects.count() == 4999
    assert not Invitation.objects.filter(email=existing.email).exists()
    assert not mail.outbox

    fragment = client.get(location, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="import-progress"')
    assert "hx-trigger" not in fragment
    assert "5000 of 5000" in fragment

    # The same file again: nothing new, in a constant number of queries per chunk.
    again, location = _upload(client, world, csv_file("\n".join(lines)))
    client.post(location)
    with django_assert_max_num_queries(300):
        scheduling.run_now(roster_imports.ROSTER_IMPORT_JOB)
        while scheduling.run_now(roster_imports.ROSTER_IMPORT_JOB):
            pass
    again.refresh_from_db()
    assert (again.status, again.unchanged_count, again.enrolled_count) == ("done", 5000, 0)
    assert Invitation.objects.count() == 4999


def test_it_reports_a_running_import_to_htmx_polls(world, client_for, roster_preview):
    RosterImport.objects.filter(pk=roster_preview.pk).update(status="running", processed_rows=1)
    url = f"/cohorts/{world.cohort.pk}/roster/{roster_preview.pk}/"
    fragment = client_for(world.instructor).get(url, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert 'hx-get="' + url + '"' in body
    assert "1 of 2" in body
    assert "<html" not in body


def test_it_polls_progress_without_loading_the_rows(world, client_for):
    from cohorts.models import RosterImport

    roster_import = RosterImport.objects.create(
        cohort=world.cohort,
        uploaded_by=world.instructor,
        filename="big.csv",
        rows=[
            {"line": n, "email": f"p{n}@example.test", "name": "P", "group": ""}
            for n in range(2, 802)
        ],
        importable_count=800,
        status=RosterImport.Status.RUNNING,
        processed_rows=500,
    )
    client = client_for(world.instructor)
    url = f"/cohorts/{world.cohort.pk}/roster/{roster_import.pk}/"
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "500 of 800" in fragment
    assert 'hx-trigger="every 1s"' in fragment
    import_query = next(q["sql"] for q in queries if 'FROM "cohorts_rosterimport"' in q["sql"])
    assert '"rows"' not in import_query


def test_it_says_in_words_which_separators_a_roster_may_use(world, client_for):
    body = client_for(world.instructor).get(_roster_url(world)).content.decode()
    assert "with a header row, separated by commas or semicolons." in body
    assert "; ; or ," not in body
