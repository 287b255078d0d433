from accounts.models import Invitation, Membership, Role
from cohorts.models import Enrolment, RosterImport
from notifications.models import Notification, OutboxMessage
from tests import factories

ROSTER = """email,name,group,coach_email,coach_name
ada@example.test,Ada Lovelace,Blue,Boss@Example.test,Bo Boss
grace@example.test,Grace Hopper,,boss@example.test,
linus@example.test,Linus,,,
self@example.test,Self,,self@example.test,
bad@example.test,Bad,,not-an-address,
"""


def _import(world, client, csv_file, text):
    client.post(f"/cohorts/{world.cohort.pk}/roster/", {"file": csv_file(text)})
    roster_import = RosterImport.objects.latest("pk")
    client.post(f"/cohorts/{world.cohort.pk}/roster/{roster_import.pk}/")
    return roster_import


def test_it_sets_coaches_from_a_coach_email_column_and_invites_them_once(
    world, client_for, csv_file
):
    client = client_for(world.instructor)
    roster_import = _import(world, client, csv_file, ROSTER)
    assert [(e["line"], e["reason"]) for e in roster_import.errors] == [
        (5, "self@example.test cannot be their own coach; leave coach_email empty."),
        (6, "Bad coach email address “not-an-address”."),
    ]
    coached = Enrolment.objects.filter(cohort=world.cohort, coach__email="boss@example.test")
    assert sorted(coached.values_list("user__email", flat=True)) == [
        "ada@example.test",
        "grace@example.test",
    ]
    assert Enrolment.objects.get(user__email="linus@example.test").coach is None
    boss = coached.first().coach
    assert boss.display_name == "Bo Boss"
    assert Membership.objects.get(user=boss).role == Role.COACH
    assert Invitation.objects.get(email="boss@example.test").role == Role.COACH
    assert OutboxMessage.objects.filter(to_email="boss@example.test").count() == 1
    # Coaches are not enrolled: a coach needs no other role.
    assert not Enrolment.objects.filter(user=boss).exists()


def test_it_moves_an_existing_participant_to_a_new_coach_and_tells_a_coach_with_an_account(
    world, client_for, csv_file
):
    manager_of_team = factories.UserFactory(email="lead@example.test")
    text = f"email,name,coach_email\n{world.participant.email},P,{manager_of_team.email}\n"
    _import(world, client_for(world.instructor), csv_file, text)
    enrolment = world.participant.enrolments.get()
    assert enrolment.coach == manager_of_team
    assert enrolment.study_group == world.group
    assert Notification.objects.filter(
        user=manager_of_team, key=f"coaching-welcome:{world.cohort.pk}"
    ).exists()
    # A later file without the column leaves the coach as it is.
    _import(
        world, client_for(world.instructor), csv_file, f"email,name\n{world.participant.email},P\n"
    )
    assert world.participant.enrolments.get().coach == manager_of_team


def test_it_previews_the_coach_column(world, client_for, csv_file):
    client = client_for(world.instructor)
    client.post(f"/cohorts/{world.cohort.pk}/roster/", {"file": csv_file(ROSTER)})
    roster_import = RosterImport.objects.latest("pk")
    body = client.get(f"/cohorts/{world.cohort.pk}/roster/{roster_import.pk}/").content.decode()
    assert "<td>boss@example.test</td>" in body
