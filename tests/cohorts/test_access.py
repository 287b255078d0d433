"""Every cohorts URL, every persona → the status each must get (404 for anything not allowed)."""

import pytest
from django.urls import reverse

from cohorts.models import Enrolment

PERSONAS = ["manager", "instructor", "participant", "other_cohort_participant", "outsider"]
SIGN_IN = 302

#       manager instructor participant other_cohort outsider
VIEW = (200, 200, 200, 404, 404)
TEACH = (200, 200, 404, 404, 404)
MANAGE = (200, 404, 404, 404, 404)
OWN_GROUP_ONLY = (200, 200, 404, 404, 404)


def _get_cases(world, roster_preview):
    c = world.cohort.pk
    return [
        ("create", f"/org/{world.organization.slug}/cohorts/new/", MANAGE, False),
        ("detail", f"/cohorts/{c}/", VIEW, False),
        ("edit", f"/cohorts/{c}/edit/", MANAGE, False),
        ("people", f"/cohorts/{c}/people/", VIEW, False),
        ("roster", f"/cohorts/{c}/roster/", TEACH, False),
        ("roster import", f"/cohorts/{c}/roster/{roster_preview.pk}/", TEACH, False),
        ("roster progress fragment", f"/cohorts/{c}/roster/{roster_preview.pk}/", TEACH, True),
        ("groups", f"/cohorts/{c}/groups/", VIEW, False),
        ("own group", f"/cohorts/{c}/groups/{world.group.pk}/", VIEW, False),
        ("other group", f"/cohorts/{c}/groups/{world.other_group.pk}/", OWN_GROUP_ONLY, False),
        ("rename form", f"/cohorts/{c}/groups/{world.group.pk}/rename/", TEACH, False),
        ("rename fragment", f"/cohorts/{c}/groups/{world.group.pk}/rename/", TEACH, True),
    ]


def test_it_gives_each_persona_the_expected_status_on_every_page(world, roster_preview, client_for):
    failures = []
    for name, url, expected, htmx in _get_cases(world, roster_preview):
        headers = {"HX-Request": "true"} if htmx else {}
        got = tuple(
            client_for(getattr(world, p)).get(url, headers=headers).status_code for p in PERSONAS
        )
        if got != expected:
            failures.append((name, got, expected))
        anonymous = client_for(None).get(url, headers=headers)
        if anonymous.status_code != SIGN_IN or not anonymous["Location"].startswith(
            reverse("account_login")
        ):
            failures.append((name, "anonymous", anonymous.status_code))
    assert failures == []


def _post_cases(world, roster_preview):
    c = world.cohort.pk
    groupmate = Enrolment.objects.get(cohort=world.cohort, user=world.groupmate).pk
    return {
        "enrol": (f"/cohorts/{c}/people/", {"email": "new@example.test", "name": "New"}),
        "remove": (f"/cohorts/{c}/people/{groupmate}/remove/", {}),
        "move": (f"/cohorts/{c}/people/{groupmate}/group/", {"study_group": ""}),
        "confirm import": (f"/cohorts/{c}/roster/{roster_preview.pk}/", {}),
        "create group": (f"/cohorts/{c}/groups/", {"name": "Red"}),
        "split": (f"/cohorts/{c}/groups/split/", {"size": "3"}),
        "rename": (f"/cohorts/{c}/groups/{world.group.pk}/rename/", {"name": "Navy"}),
    }


@pytest.mark.parametrize(
    "case", ["enrol", "remove", "move", "confirm import", "create group", "split", "rename"]
)
@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
def test_it_lets_only_teachers_change_a_cohort(case, persona, world, roster_preview, client_for):
    url, data = _post_cases(world, roster_preview)[case]
    user = None if persona == "anonymous" else getattr(world, persona)
    response = client_for(user).post(url, data)
    if persona in ("manager", "instructor"):
        assert response.status_code == 302
        assert not response["Location"].startswith(reverse("account_login"))
    elif persona == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == 404


def test_it_hides_another_organisations_cohort_from_its_url(world, client_for):
    client = client_for(world.manager)
    pk = world.outsider_cohort.pk
    for url in (f"/cohorts/{pk}/", f"/cohorts/{pk}/people/", f"/cohorts/{pk}/edit/"):
        assert client.get(url).status_code == 404
    assert client.get("/org/globex/cohorts/new/").status_code == 404


def test_it_refuses_an_enrolment_or_import_of_another_cohort_through_this_one(
    world, client_for, roster_preview
):
    other = Enrolment.objects.get(cohort=world.other_cohort).pk
    c = world.other_cohort.pk
    client = client_for(world.instructor)
    assert client.post(f"/cohorts/{world.cohort.pk}/people/{other}/remove/").status_code == 404
    assert client.get(f"/cohorts/{c}/roster/{roster_preview.pk}/").status_code == 404
    manager = client_for(world.manager)
    assert manager.get(f"/cohorts/{c}/roster/{roster_preview.pk}/").status_code == 404
    assert Enrolment.objects.filter(pk=other).exists()


@pytest.mark.parametrize(
    ("persona", "role", "teaches", "manages"),
    [
        ("manager", "manager", True, True),
        ("instructor", "instructor", True, False),
        ("participant", "participant", False, False),
    ],
)
def test_it_returns_the_cohort_with_the_access_beside_it(persona, role, teaches, manages, world):
    from cohorts.access import get_cohort_for

    cohort, access = get_cohort_for(getattr(world, persona), world.cohort.pk)
    assert cohort == world.cohort
    assert (access.role, access.can_teach, access.can_manage) == (role, teaches, manages)
    # The access travels beside the cohort, never on it: a cohort loaded another way is the same.
    assert not hasattr(cohort, "access")
