from collections import Counter

from cohorts.models import Enrolment, StudyGroup
from tests import factories


def _groups_url(world):
    return f"/cohorts/{world.cohort.pk}/groups/"


def _add_unassigned(world, n):
    return [factories.EnrolmentFactory(cohort=world.cohort) for _ in range(n)]


def test_it_lists_every_group_for_teachers_and_only_their_own_for_participants(world, client_for):
    # Group names as the list links them: a person may be called Robin Green.
    teacher = client_for(world.instructor).get(_groups_url(world)).content.decode()
    assert ">Green</a>" in teacher and 'id="split-heading"' in teacher
    body = client_for(world.participant).get(_groups_url(world)).content.decode()
    assert ">Blue</a>" in body
    assert ">Green</a>" not in body
    # Nor the teacher's split control.
    assert 'id="split-heading"' not in body


def test_it_creates_a_group(world, client_for):
    response = client_for(world.instructor).post(_groups_url(world), {"name": "  Red   team "})
    assert response.status_code == 302
    assert StudyGroup.objects.filter(cohort=world.cohort, name="Red team").exists()


def test_it_refuses_a_duplicate_name_and_keeps_the_text(world, client_for):
    response = client_for(world.instructor).post(_groups_url(world), {"name": "Blue"})
    assert response.status_code == 400
    assert "There is already a study group called “Blue”." in response.content.decode()
    assert StudyGroup.objects.filter(cohort=world.cohort).count() == 2


def test_it_renames_a_group_inline_with_htmx(world, client_for):
    url = f"/cohorts/{world.cohort.pk}/groups/{world.group.pk}/rename/"
    client = client_for(world.instructor)
    form = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert form.lstrip().startswith(f'<tr id="group-{world.group.pk}">')
    assert f'hx-post="{url}"' in form and f'action="{url}"' in form
    row = client.post(url, {"name": "Navy"}, headers={"HX-Request": "true"}).content.decode()
    assert row.lstrip().startswith(f'<tr id="group-{world.group.pk}">')
    assert "Navy" in row and "<html" not in row
    world.group.refresh_from_db()
    assert world.group.name == "Navy"


def test_it_shows_a_rename_error_in_the_row_keeping_the_text(world, client_for):
    url = f"/cohorts/{world.cohort.pk}/groups/{world.group.pk}/rename/"
    response = client_for(world.instructor).post(
        url, {"name": "Green"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is already a study group called “Green”." in body
    assert 'value="Green"' in body


def test_it_renames_a_group_without_javascript(world, client_for):
    url = f"/cohorts/{world.cohort.pk}/groups/{world.group.pk}/rename/"
    client = client_for(world.manager)
    assert "<html" in client.get(url).content.decode()
    assert client.post(url, {"name": "Navy"})["Location"] == _groups_url(world)
    assert StudyGroup.objects.filter(pk=world.group.pk, name="Navy").exists()


def test_it_splits_unassigned_participants_into_groups_within_one_of_each_other(world, client_for):
    _add_unassigned(world, 11)
    factories.StudyGroupFactory(cohort=world.cohort, name="Group 2")
    response = client_for(world.instructor).post(
        f"/cohorts/{world.cohort.pk}/groups/split/", {"size": "4"}
    )
    assert response.status_code == 302
    new_groups = StudyGroup.objects.filter(
        cohort=world.cohort, name__in=["Group 3", "Group 4", "Group 5"]
    )
    sizes = Counter(
        Enrolment.objects.filter(study_group__in=new_groups).values_list(
            "study_group__name", flat=True
        )
    )
    assert sorted(sizes.values()) == [3, 4, 4]
    assert not Enrolment.objects.filter(
        cohort=world.cohort, role="participant", study_group__isnull=True
    ).exists()
    # The people already in groups stay where they were.
    assert Enrolment.objects.get(user=world.participant).study_group == world.group


def test_it_splits_the_same_way_every_time(world, client_for):
    people = _add_unassigned(world, 9)
    client = client_for(world.instructor)
    url = f"/cohorts/{world.cohort.pk}/groups/split/"

    def split():
        client.post(url, {"size": "4"})
        result = {
            e.user_id: e.study_group.name
            for e in Enrolment.objects.filter(pk__in=[p.pk for p in people]).select_related(
                "study_group"
            )
        }
        Enrolment.objects.filter(pk__in=[p.pk for p in people]).update(study_group=None)
        StudyGroup.objects.filter(cohort=world.cohort, name__startswith="Group ").delete()
        return result

    first = split()
    assert sorted(Counter(first.values()).values()) == [3, 3, 3]
    assert split() == first
    # Shuffled, not dealt out in enrolment order.
    in_order = [first[p.user_id] for p in sorted(people, key=lambda p: p.pk)]
    assert in_order != sorted(in_order)


def test_it_rejects_a_group_size_below_two(world, client_for):
    _add_unassigned(world, 3)
    response = client_for(world.instructor).post(
        f"/cohorts/{world.cohort.pk}/groups/split/", {"size": "1"}
    )
    assert response.status_code == 400
    assert "Ensure this value is greater than or equal to 2." in response.content.decode()
    assert StudyGroup.objects.filter(cohort=world.cohort).count() == 2


def test_it_says_so_when_nobody_is_left_to_split(world, client_for):
    response = client_for(world.instructor).post(
        f"/cohorts/{world.cohort.pk}/groups/split/", {"size": "3"}, follow=True
    )
    assert "Every participant is already in a study group." in response.content.decode()


def test_it_shows_a_group_page_with_its_members(world, client_for):
    body = (
        client_for(world.participant)
        .get(f"/cohorts/{world.cohort.pk}/groups/{world.group.pk}/")
        .content.decode()
    )
    assert world.groupmate.name in body
    assert world.other_group_participant.name not in body
    assert "groupmate@example.test" not in body


def test_it_moves_a_participant_to_another_group_and_to_none(world, client_for):
    enrolment = Enrolment.objects.get(cohort=world.cohort, user=world.participant)
    url = f"/cohorts/{world.cohort.pk}/people/{enrolment.pk}/group/"
    client = client_for(world.instructor)
    client.post(url, {"study_group": world.other_group.pk})
    enrolment.refresh_from_db()
    assert enrolment.study_group == world.other_group
    response = client.post(url, {"study_group": "", "next": _groups_url(world)})
    assert response["Location"] == _groups_url(world)
    enrolment.refresh_from_db()
    assert enrolment.study_group is None


def test_it_will_not_move_a_participant_into_another_cohorts_group(world, client_for):
    foreign = factories.StudyGroupFactory(cohort=world.other_cohort)
    enrolment = Enrolment.objects.get(cohort=world.cohort, user=world.participant)
    url = f"/cohorts/{world.cohort.pk}/people/{enrolment.pk}/group/"
    response = client_for(world.manager).post(url, {"study_group": foreign.pk}, follow=True)
    assert "Choose one of this cohort" in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.study_group == world.group


def test_it_ignores_an_unsafe_next_address(world, client_for):
    enrolment = Enrolment.objects.get(cohort=world.cohort, user=world.participant)
    url = f"/cohorts/{world.cohort.pk}/people/{enrolment.pk}/group/"
    response = client_for(world.manager).post(
        url, {"study_group": "", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/cohorts/{world.cohort.pk}/people/"


def test_the_groups_page_costs_a_constant_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    for n in range(20):
        group = factories.StudyGroupFactory(cohort=world.cohort, name=f"Extra {n}")
        factories.EnrolmentFactory(cohort=world.cohort, study_group=group)
    client = client_for(world.manager)
    with django_assert_max_num_queries(10):
        assert client.get(_groups_url(world)).status_code == 200


def test_it_asks_for_a_name_when_renaming_to_nothing(world, client_for):
    url = f"/cohorts/{world.cohort.pk}/groups/{world.group.pk}/rename/"
    response = client_for(world.instructor).post(url, {"name": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    world.group.refresh_from_db()
    assert world.group.name == "Blue"
