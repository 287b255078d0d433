import pytest
from django.core import mail

from accounts.models import Invitation, Membership, Role
from socialtraining import clock
from tests import factories

URL = "/org/acme/people/"


def test_it_lists_members_with_roles_for_a_manager(world, client_for):
    response = client_for(world.manager).get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "participant@example.test" in body
    assert "instructor@example.test" in body
    assert "outsider@globex.test" not in body
    assert '<th scope="col">Role</th>' in body
    assert 'for="role-of-' in body


def test_it_is_hidden_from_everyone_but_the_organisations_managers(world, client_for):
    for persona in (world.instructor, world.participant, world.outsider):
        assert client_for(persona).get(URL).status_code == 404
    assert client_for(world.outsider).get("/org/globex/people/").status_code == 200
    assert client_for(world.manager).get("/org/globex/people/").status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(world, client_for):
    response = client_for(None).get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _members_and_invitations(world, count: int) -> None:
    """`count` more members of the organisation and as many open invitations."""
    for n in range(count):
        factories.MembershipFactory(
            organization=world.organization, user=factories.UserFactory(email=f"m{n}@example.test")
        )
        Invitation.objects.create(
            organization=world.organization,
            email=f"i{n}@example.test",
            expires_at=Invitation.default_expiry(),
            invited_by=world.manager,
        )


def test_it_costs_the_same_queries_for_many_members(
    world, client_for, make_invitation, django_assert_max_num_queries
):
    make_invitation()
    client = client_for(world.manager)
    with django_assert_max_num_queries(12) as few:
        client.get(URL)
    _members_and_invitations(world, 60)
    with django_assert_max_num_queries(len(few)):
        response = client.get(URL)
    body = response.content.decode()
    assert "Page 1 of 2" in body
    assert body.count('id="member-') == 50
    assert body.count('id="invitation-') == 50


def test_it_pages_members_and_invitations_each_with_its_own_parameter(world, client_for):
    _members_and_invitations(world, 55)
    client = client_for(world.manager)
    body = client.get(URL).content.decode()
    members_nav = body.split('<nav aria-label="Pages of members"')[1].split("</nav>")[0]
    invitations_nav = body.split('<nav aria-label="Pages of invitations"')[1].split("</nav>")[0]
    assert '<a href="?page=2">Next</a>' in members_nav
    assert '<a href="?invitations_page=2">Next</a>' in invitations_nav
    second = client.get(f"{URL}?invitations_page=2").content.decode()
    assert second.count('id="invitation-') == 5
    assert '<a href="?invitations_page=1">Previous</a>' in second
    assert second.count('id="member-') == 50


def test_it_invites_someone_by_email(world, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.manager).post(
            URL, {"email": " Ada@Example.test ", "display_name": "Ada", "role": "instructor"}
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="ada@example.test")
    assert invitation.role == Role.INSTRUCTOR
    assert invitation.invited_by == world.manager
    assert [m.to for m in mail.outbox] == [["ada@example.test"]]
    assert "Acme Learning" in mail.outbox[0].subject
    assert "/invitations/" in mail.outbox[0].body
    assert "on Social training as an instructor." in mail.outbox[0].body


def test_it_keeps_the_text_and_explains_a_bad_address(world, client_for):
    response = client_for(world.manager).post(
        URL, {"email": "ada-at-example", "display_name": "Ada Lovelace", "role": "participant"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid email address." in body
    assert 'value="ada-at-example"' in body
    assert 'value="Ada Lovelace"' in body
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_it_refuses_to_invite_an_existing_member(world, client_for):
    response = client_for(world.manager).post(
        URL, {"email": "Participant@example.test", "role": "manager"}
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_it_resends_an_open_invitation_with_a_new_link_when_invited_again(
    world, client_for, make_invitation, accept_url, django_capture_on_commit_callbacks
):
    invitation = make_invitation("ada@example.test")
    old_link = accept_url(invitation)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.manager).post(URL, {"email": "ada@example.test", "role": "participant"})
    assert Invitation.objects.filter(email="ada@example.test").count() == 1
    invitation.refresh_from_db()
    assert accept_url(invitation) != old_link
    assert _mailed_invitation(mail.outbox[0].body) == (invitation.pk, invitation.nonce)
    client_for(None)
    assert client_for(None).get(old_link).status_code == 400
    assert client_for(None).get(accept_url(invitation)).status_code == 200


def test_it_changes_a_members_role(world, client_for):
    membership = Membership.objects.get(user=world.participant)
    response = client_for(world.manager).post(f"{URL}{membership.pk}/role/", {"role": "instructor"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.INSTRUCTOR


def test_it_changes_a_role_inline_with_htmx(world, client_for):
    membership = Membership.objects.get(user=world.participant)
    response = client_for(world.manager).post(
        f"{URL}{membership.pk}/role/", {"role": "manager"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="member-{membership.pk}"')
    assert "<html" not in body
    assert '<option value="manager" selected>' in body
    membership.refresh_from_db()
    assert membership.role == Role.MANAGER


def test_it_refuses_a_managers_own_role_change(world, client_for):
    membership = Membership.objects.get(user=world.manager)
    response = client_for(world.manager).post(
        f"{URL}{membership.pk}/role/", {"role": "participant"}, follow=True
    )
    assert "cannot change your own role" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.MANAGER


def test_it_refuses_an_unknown_role(world, client_for):
    membership = Membership.objects.get(user=world.participant)
    response = client_for(world.manager).post(
        f"{URL}{membership.pk}/role/", {"role": "owner"}, headers={"HX-Request": "true"}
    )
    assert "Choose a role from the list." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.PARTICIPANT


def test_it_hides_other_organisations_members_and_invitations(world, client_for, make_invitation):
    theirs = Membership.objects.get(user=world.outsider)
    invitation = make_invitation(organization=world.other_organization)
    client = client_for(world.manager)
    assert client.post(f"{URL}{theirs.pk}/role/", {"role": "participant"}).status_code == 404
    assert client.post(f"/org/acme/invitations/{invitation.pk}/revoke/").status_code == 404
    assert client.post(f"/org/acme/invitations/{invitation.pk}/resend/").status_code == 404
    assert (
        client_for(world.instructor)
        .post(
            f"{URL}{Membership.objects.get(user=world.participant).pk}/role/", {"role": "manager"}
        )
        .status_code
        == 404
    )
    theirs.refresh_from_db()
    invitation.refresh_from_db()
    assert theirs.role == Role.MANAGER
    assert invitation.revoked_at is None


def test_it_lists_invitations_by_status(world, client_for, make_invitation):

    make_invitation("pending@example.test")
    make_invitation("expired@example.test", expires_at=clock.now())
    make_invitation("accepted@example.test", accepted_at=clock.now())
    make_invitation("revoked@example.test", revoked_at=clock.now())
    body = client_for(world.manager).get(URL).content.decode()
    assert "Pending, expires" in body
    assert "Expired" in body
    assert "Accepted" in body
    assert "Withdrawn" in body
    assert body.count("Resend</button>") == 2
    assert body.count("Revoke</button>") == 2


def test_it_resends_an_invitation_and_voids_the_old_link(
    world, client_for, make_invitation, accept_url, django_capture_on_commit_callbacks
):
    invitation = make_invitation()
    old_link = accept_url(invitation)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.manager).post(
            f"/org/acme/invitations/{invitation.pk}/resend/", headers={"HX-Request": "true"}
        )
    assert response.status_code == 200
    assert "New link sent." in response.content.decode()
    invitation.refresh_from_db()
    assert len(mail.outbox) == 1
    assert _mailed_invitation(mail.outbox[0].body) == (invitation.pk, invitation.nonce)
    assert client_for(None).get(old_link).status_code == 400


def test_it_renews_an_expired_invitation_when_resent(
    world, client_for, make_invitation, django_capture_on_commit_callbacks
):

    invitation = make_invitation(expires_at=clock.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.manager).post(f"/org/acme/invitations/{invitation.pk}/resend/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    assert len(mail.outbox) == 1


def test_it_revokes_an_invitation(world, client_for, make_invitation, accept_url):
    invitation = make_invitation()
    response = client_for(world.manager).post(
        f"/org/acme/invitations/{invitation.pk}/revoke/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Withdrawn" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    response = client_for(None).get(accept_url(invitation))
    assert response.status_code == 410
    assert "This invitation was withdrawn." in response.content.decode()


def test_it_refuses_to_resend_or_revoke_an_accepted_invitation(world, client_for, make_invitation):

    invitation = make_invitation(accepted_at=clock.now())
    client = client_for(world.manager)
    response = client.post(f"/org/acme/invitations/{invitation.pk}/resend/", follow=True)
    assert "already been accepted" in response.content.decode()
    response = client.post(
        f"/org/acme/invitations/{invitation.pk}/revoke/", headers={"HX-Request": "true"}
    )
    assert "already been accepted" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert mail.outbox == []


def test_it_only_accepts_posts_for_changes(world, client_for, make_invitation):
    invitation = make_invitation()
    client = client_for(world.manager)
    assert client.get(f"/org/acme/invitations/{invitation.pk}/revoke/").status_code == 405
    membership = Membership.objects.get(user=world.participant)
    assert client.get(f"{URL}{membership.pk}/role/").status_code == 405


def test_it_never_keeps_two_unfinished_invitations_for_one_address(world):
    from django.db import IntegrityError, transaction

    from accounts.models import Invitation
    from accounts.services import invitation_create

    first = invitation_create(
        organization=world.organization, email="Twice@Example.test", send=False
    )
    again = invitation_create(
        organization=world.organization, email="twice@example.test", send=False
    )
    assert again.pk == first.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            organization=world.organization,
            email="TWICE@example.test",
            expires_at=Invitation.default_expiry(),
        )


def test_it_renews_an_expired_invitation_when_inviting_again(
    world, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from accounts.models import Invitation
    from accounts.services import invitation_create

    old = invitation_create(organization=world.organization, email="late@example.test", send=False)
    Invitation.objects.filter(pk=old.pk).update(expires_at=clock.now() - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        renewed = invitation_create(organization=world.organization, email="late@example.test")
    assert renewed.pk == old.pk
    assert renewed.expires_at > clock.now()
    assert renewed.nonce != old.nonce
    assert Invitation.objects.filter(email="late@example.test").count() == 1


def _mailed_invitation(body: str) -> tuple[int, str]:
    """The invitation a mailed link points at (tokens carry a timestamp, so compare contents)."""
    import re

    from django.core import signing

    from accounts.services import INVITATION_SALT

    token = re.search(r"/invitations/([^/\s]+)/", body).group(1)
    data = signing.loads(token, salt=INVITATION_SALT)
    return data["id"], data["n"]
