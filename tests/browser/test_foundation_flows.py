"""The foundation's main journeys, in Chromium, as a person would do them."""

import re

from django.core import mail
from playwright.sync_api import expect

from accounts.models import Membership, User
from cohorts.models import Cohort, Enrolment, StudyGroup
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, EnrolmentFactory, UserFactory


def test_it_lets_an_invited_person_join_and_set_a_password(page, world):
    sign_in(page, world.manager.email, PASSWORD)
    page.goto(f"/org/{world.organization.slug}/people/")
    page.get_by_label("Email address").fill("new.person@example.test")
    page.get_by_label("Name (optional)").fill("Nadia Newcomer")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("cell", name="new.person@example.test")).to_be_visible()

    invitation_mail = next(m for m in mail.outbox if "new.person@example.test" in m.to)
    link = re.search(r"https?://\S+/invitations/\S+/", invitation_mail.body).group(0)

    page.get_by_role("button", name="Sign out").click()
    page.goto(link)
    expect(page.get_by_role("heading", name="Join Acme Learning")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Nadia Newcomer")
    page.get_by_label("Choose a password").fill("a-sturdy-new-password-7")
    page.get_by_label("Repeat the password").fill("a-sturdy-new-password-7")
    page.get_by_role("button", name="Create my account and join").click()
    expect(page.get_by_role("heading", name="Welcome, Nadia Newcomer")).to_be_visible()

    user = User.objects.get(email="new.person@example.test")
    assert Membership.objects.filter(user=user, organization=world.organization).exists()
    page.goto(link)
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()


def test_it_lets_a_manager_create_a_cohort_with_a_session(page, world):
    sign_in(page, world.manager.email, PASSWORD)
    page.get_by_role("link", name="New cohort").first.click()
    page.get_by_label("Name", exact=True).fill("Negotiating with confidence")
    page.get_by_label("Description").fill("Two mornings on preparing and holding a negotiation.")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Starts").first.fill("2027-03-02T09:00")
    page.get_by_label("Ends").first.fill("2027-03-02T12:30")
    page.get_by_label(re.compile(world.instructor.email)).check()
    page.get_by_role("button", name="Create cohort").click()

    expect(page.get_by_role("heading", name="Negotiating with confidence")).to_be_visible()
    expect(page.get_by_text("Before class").first).to_be_visible()
    cohort = Cohort.objects.get(name="Negotiating with confidence")
    session = cohort.sessions.get()
    # 09:00 in Berlin in March (CET) is 08:00 UTC.
    assert session.starts_at.isoformat() == "2027-03-02T08:00:00+00:00"
    assert Enrolment.objects.filter(
        cohort=cohort, user=world.instructor, role="instructor"
    ).exists()


def test_it_previews_a_roster_with_a_bad_row_and_imports_the_rest(page, world, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "email,name,group\n"
        "ada@example.test,Ada Lovelace,Blue\n"
        "not-an-email,Broken Row,\n"
        "grace@example.test,Grace Hopper,\n",
        encoding="utf-8",
    )
    sign_in(page, world.instructor.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/roster/")
    page.get_by_label("Roster CSV").set_input_files(str(roster))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_text("Nothing has been imported yet")).to_be_visible()
    problems = page.get_by_role("table").filter(has_text="Problem")
    expect(problems.get_by_role("row")).to_have_count(2)
    expect(problems.get_by_role("cell", name="3", exact=True)).to_be_visible()
    assert not User.objects.filter(email="ada@example.test").exists()

    page.get_by_role("button", name="Import 2 people").click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.get_by_text("2 newly enrolled")).to_be_visible()
    ada = Enrolment.objects.get(cohort=world.cohort, user__email="ada@example.test")
    assert ada.study_group == world.group
    assert Enrolment.objects.filter(cohort=world.cohort, user__email="grace@example.test").exists()


def test_it_splits_unassigned_participants_into_study_groups(page, world):
    for n in range(7):
        EnrolmentFactory(cohort=world.cohort, user=UserFactory(email=f"split{n}@example.test"))
    sign_in(page, world.instructor.email, PASSWORD)
    page.goto(f"/cohorts/{world.cohort.pk}/groups/")
    page.get_by_label("People per group").fill("3")
    page.get_by_role("button", name=re.compile(r"Split 7 participants")).click()

    expect(page.get_by_role("link", name="Group 1", exact=True)).to_be_visible()
    sizes = sorted(
        Enrolment.objects.filter(cohort=world.cohort, study_group__name__startswith="Group ")
        .values_list("study_group__name", flat=True)
        .order_by()
    )
    counts = [sizes.count(name) for name in set(sizes)]
    assert sum(counts) == 7
    assert max(counts) - min(counts) <= 1
    assert StudyGroup.objects.filter(cohort=world.cohort, name__startswith="Group ").count() == len(
        counts
    )
