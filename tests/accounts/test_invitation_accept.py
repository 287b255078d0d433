from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail, signing

from accounts.models import Invitation, Membership, Role, User
from accounts.services import INVITATION_SALT, user_for_email
from socialtraining import clock
from tests.factories import PASSWORD, UserFactory

NEW_ACCOUNT = {"display_name": "Ada Lovelace", "password1": PASSWORD, "password2": PASSWORD}


def _signed_in_as(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_it_mails_a_link_that_opens_the_invitation(
    world, client_for, mail_body, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.manager).post(
            "/org/acme/people/", {"email": "ada@example.test", "role": "participant"}
        )
    body = mail_body("ada@example.test")
    link = next(line for line in body.splitlines() if "/invitations/" in line).strip()
    assert link.startswith("http")
    response = client_for(None).get(urlsplit(link).path)
    assert response.status_code == 200
    assert "Join Acme Learning" in response.content.decode()


def test_it_creates_a_verified_account_for_a_new_person_and_signs_them_in(
    world, client, make_invitation, accept_url
):
    invitation = make_invitation("ada@example.test", role=Role.INSTRUCTOR)
    response = client.post(accept_url(invitation), NEW_ACCOUNT)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="ada@example.test")
    assert user.display_name == "Ada Lovelace"
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists()
    assert Membership.objects.get(organization=world.organization, user=user).role == (
        Role.INSTRUCTOR
    )
    assert _signed_in_as(client) == user
    invitation.refresh_from_db()
    assert invitation.accepted_by == user


def test_it_keeps_the_name_when_the_passwords_differ(world, client, make_invitation, accept_url):
    invitation = make_invitation()
    response = client.post(
        accept_url(invitation), {**NEW_ACCOUNT, "password2": "something-else-entirely"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The two passwords differ." in body
    assert 'value="Ada Lovelace"' in body
    assert not User.objects.filter(email=invitation.email).exists()


def test_it_lets_a_person_without_a_password_choose_one(world, client, make_invitation, accept_url):
    # Enrolling someone in a cohort creates their account before they accept.
    user, _ = user_for_email(email="ada@example.test", display_name="Ada")
    invitation = make_invitation("ada@example.test")
    response = client.post(accept_url(invitation), NEW_ACCOUNT)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert _signed_in_as(client) == user


def test_it_asks_an_existing_account_to_sign_in_first_then_joins(
    world, client, make_invitation, accept_url
):
    person = UserFactory(email="ada@example.test")
    invitation = make_invitation("ada@example.test")
    url = accept_url(invitation)

    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Sign in to accept" in body
    assert client.post(url).status_code == 200
    assert not Membership.objects.filter(user=person).exists()

    response = client.post(
        "/accounts/login/", {"login": "ada@example.test", "password": PASSWORD, "next": url}
    )
    assert response.status_code == 302
    assert response["Location"] == url
    assert "Join Acme Learning" in client.get(url).content.decode()

    response = client.post(url)
    assert response.status_code == 302
    assert Membership.objects.get(organization=world.organization, user=person).role == (
        Role.PARTICIPANT
    )


def test_it_tells_the_wrong_signed_in_person_the_invitation_is_not_theirs(
    world, client_for, make_invitation, accept_url
):
    UserFactory(email="ada@example.test")
    for_an_account = make_invitation("ada@example.test")
    for_a_new_person = make_invitation("nobody-yet@example.test")
    client = client_for(world.participant)
    for invitation in (for_an_account, for_a_new_person):
        response = client.post(accept_url(invitation), NEW_ACCOUNT)
        body = response.content.decode()
        assert response.status_code == 403
        assert "This invitation is for someone else" in body
        assert "participant@example.test" in body
    assert not Invitation.objects.filter(accepted_at__isnull=False).exists()
    assert not User.objects.filter(email="nobody-yet@example.test").exists()


def test_it_explains_an_invitation_past_its_expiry_date(world, client, make_invitation, accept_url):
    invitation = make_invitation(expires_at=clock.now() - timedelta(minutes=1))
    response = client.get(accept_url(invitation))
    assert response.status_code == 410
    assert "This invitation link has expired." in response.content.decode()
    assert client.post(accept_url(invitation), NEW_ACCOUNT).status_code == 410
    assert not User.objects.filter(email=invitation.email).exists()


def test_it_explains_a_link_signed_too_long_ago(
    world, client, make_invitation, accept_url, settings, travel
):
    settings.INVITATION_MAX_AGE_DAYS = 14
    link = accept_url(make_invitation(expires_at=clock.now() + timedelta(days=30)))
    # The link's age is read on the project clock, as every other moment is.
    travel.to(clock.now() + timedelta(days=15))
    response = client.get(link)
    assert response.status_code == 410
    assert "This invitation link has expired." in response.content.decode()


def test_it_explains_a_used_invitation(world, client, make_invitation, accept_url):
    invitation = make_invitation(accepted_at=clock.now())
    response = client.get(accept_url(invitation))
    assert response.status_code == 410
    assert "already been accepted" in response.content.decode()


def test_it_explains_a_revoked_invitation(world, client, make_invitation, accept_url):
    invitation = make_invitation(revoked_at=clock.now())
    response = client.post(accept_url(invitation), NEW_ACCOUNT)
    assert response.status_code == 410
    assert "This invitation was withdrawn." in response.content.decode()
    assert not User.objects.filter(email=invitation.email).exists()


def test_it_rejects_a_tampered_or_made_up_link(world, client, make_invitation, accept_url):
    invitation = make_invitation()
    token = accept_url(invitation).split("/")[2]
    payload, signature = token.rsplit(":", 1)
    forged = signing.dumps({"id": invitation.pk, "n": invitation.nonce}, salt="another.salt")

    def changed(text: str) -> str:
        # Always a different last character: a fixed one would equal the real one 1 time in 64.
        return text[:-1] + ("B" if text[-1] == "A" else "A")

    for bad in (
        f"{payload}:{changed(signature)}",
        f"{changed(payload)}:{signature}",
        forged,
        "not-a-token",
        signing.dumps({"id": invitation.pk, "n": "guessed"}, salt=INVITATION_SALT),
    ):
        response = client.get(f"/invitations/{bad}/")
        assert response.status_code == 400, bad
        assert "This link cannot be used" in response.content.decode()


def test_it_accepts_an_invitation_only_once(world, client_for, make_invitation, accept_url):
    invitation = make_invitation()
    url = accept_url(invitation)
    client = client_for(None)
    assert client.post(url, NEW_ACCOUNT).status_code == 302
    client.logout()
    response = client.post(url, {**NEW_ACCOUNT, "display_name": "Someone Else"})
    assert response.status_code == 410
    assert "already been accepted" in response.content.decode()
    assert User.objects.get(email=invitation.email).display_name == "Ada Lovelace"

    # The person who accepted, signed in, cannot use it again either.
    client.force_login(User.objects.get(email=invitation.email))
    assert client.post(url).status_code == 410


def test_it_does_not_lower_the_role_of_an_existing_member(
    world, client_for, make_invitation, accept_url
):
    invitation = make_invitation(world.instructor.email, role=Role.PARTICIPANT)
    response = client_for(world.instructor).post(accept_url(invitation))
    assert response.status_code == 302
    assert Membership.objects.get(user=world.instructor).role == Role.INSTRUCTOR
    assert mail.outbox == []


def test_it_refuses_an_old_link_resent_while_its_form_was_open(world, make_invitation):
    from accounts import services

    invitation = make_invitation("late@example.test")
    opened = services.invitation_from_token(services.invitation_token(invitation))
    services.invitation_resend(invitation=invitation)
    newcomer = User.objects.create_user("late@example.test", "a-sturdy-password-9")

    with pytest.raises(services.InvitationError) as refused:
        services.invitation_accept(invitation=opened, user=newcomer)
    assert refused.value.reason == "invalid"
    assert not newcomer.memberships.exists()


def test_it_refuses_an_invitation_that_expired_while_its_form_was_open(world, make_invitation):
    from accounts import services

    invitation = make_invitation("slow@example.test")
    opened = services.invitation_from_token(services.invitation_token(invitation))
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=clock.now() - timedelta(minutes=1)
    )
    newcomer = User.objects.create_user("slow@example.test", "a-sturdy-password-9")

    with pytest.raises(services.InvitationError) as refused:
        services.invitation_accept(invitation=opened, user=newcomer)
    assert refused.value.reason == "expired"
