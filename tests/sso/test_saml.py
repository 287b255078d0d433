"""SAML 2.0 sign-in through allauth's provider, against a real pysaml2 identity provider."""

from django.test import Client

from accounts.models import Invitation, Membership, Role, User
from tests.sso.saml_idp import SSO_URL


def _signed_in_as(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.filter(pk=user_id).first() if user_id else None


def _to_idp(client, email: str) -> str:
    """Start at the SSO page with an address; return where we send the browser (the IdP)."""
    response = client.post("/sso/", {"email": email})
    assert response.status_code == 302, response.content[:500]
    assert response["Location"].startswith(SSO_URL)
    return response["Location"]


def _post_to_acs(client, acs_url: str, data: dict):
    response = client.post(acs_url, data)
    # allauth keeps the posted response in a cookie session and finishes on its own URL.
    assert response.status_code == 302
    return client.get(response["Location"])


def test_it_signs_in_an_invitee_and_links_their_invitation(client, world, saml_idp):
    idp = saml_idp()
    invitation = Invitation.objects.create(
        organization=world.organization,
        email="new.hire@acme.test",
        role=Role.INSTRUCTOR,
        expires_at=Invitation.default_expiry(),
    )
    acs, data = idp.answer(_to_idp(client, "new.hire@acme.test"), email="New.Hire@acme.test")
    response = _post_to_acs(client, acs, data)

    assert response.status_code == 302
    user = _signed_in_as(client)
    assert user.email == "new.hire@acme.test"
    assert user.display_name == "Ada Lovelace"
    assert not user.has_usable_password()
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert (
        Membership.objects.get(organization=world.organization, user=user).role == Role.INSTRUCTOR
    )
    assert user.socialaccount_set.get().provider == "saml-acme"


def test_it_links_an_existing_member_by_their_address(client, world, saml_idp):
    idp = saml_idp()
    member = User.objects.create_user(email="ada@acme.test", password="a-long-password-1")
    Membership.objects.create(organization=world.organization, user=member)
    acs, data = idp.answer(_to_idp(client, "ada@acme.test"), email="ada@acme.test")
    _post_to_acs(client, acs, data)
    assert _signed_in_as(client) == member
    assert member.socialaccount_set.count() == 1


def test_it_refuses_an_unknown_person_unless_the_manager_allowed_joining(client, world, saml_idp):
    idp = saml_idp()
    acs, data = idp.answer(_to_idp(client, "stranger@acme.test"), email="stranger@acme.test")
    response = _post_to_acs(client, acs, data)
    assert response.status_code == 403
    assert "not a member of Acme Learning yet" in response.content.decode()
    assert _signed_in_as(client) is None
    assert not User.objects.filter(email="stranger@acme.test").exists()


def test_it_lets_an_unknown_person_of_a_verified_domain_join_as_participant(
    client, world, saml_idp
):
    idp = saml_idp(allow_domain_join=True)
    acs, data = idp.answer(_to_idp(client, "stranger@acme.test"), email="stranger@acme.test")
    _post_to_acs(client, acs, data)
    user = _signed_in_as(client)
    assert user.email == "stranger@acme.test"
    assert Membership.objects.get(organization=world.organization, user=user).role == "participant"


def test_it_refuses_an_address_outside_the_verified_domains(client, world, saml_idp):
    # The IdP asserts someone else's address: an existing account elsewhere must not be taken.
    idp = saml_idp(allow_domain_join=True)
    acs, data = idp.answer(_to_idp(client, "ada@acme.test"), email=world.outsider.email)
    response = _post_to_acs(client, acs, data)
    assert response.status_code == 403
    assert "not one of them" in response.content.decode()
    assert _signed_in_as(client) is None


def test_it_refuses_an_unsigned_assertion(client, world, saml_idp):
    idp = saml_idp(allow_domain_join=True)
    acs, data = idp.answer(_to_idp(client, "ada@acme.test"), email="ada@acme.test", signed=False)
    response = _post_to_acs(client, acs, data)
    assert "Third-Party Login Failure" in response.content.decode()
    assert _signed_in_as(client) is None


def test_it_refuses_an_expired_assertion(client, world, saml_idp):
    idp = saml_idp(allow_domain_join=True, lifetime_minutes=-10)
    acs, data = idp.answer(_to_idp(client, "ada@acme.test"), email="ada@acme.test")
    response = _post_to_acs(client, acs, data)
    assert "Third-Party Login Failure" in response.content.decode()
    assert _signed_in_as(client) is None


def test_it_refuses_an_assertion_for_another_audience(client, world, saml_idp):
    idp = saml_idp(allow_domain_join=True)
    acs, data = idp.answer(
        _to_idp(client, "ada@acme.test"),
        email="ada@acme.test",
        audience="https://another-service.test/saml/metadata/",
    )
    response = _post_to_acs(client, acs, data)
    assert "Third-Party Login Failure" in response.content.decode()
    assert _signed_in_as(client) is None


def test_it_refuses_a_replayed_response(client, world, saml_idp):
    idp = saml_idp(allow_domain_join=True)
    acs, data = idp.answer(_to_idp(client, "ada@acme.test"), email="ada@acme.test")
    _post_to_acs(client, acs, data)
    assert _signed_in_as(client) is not None
    client.logout()
    # The same signed response posted again: its request's state was used up the first time.
    response = _post_to_acs(client, acs, data)
    assert response.status_code == 403
    assert _signed_in_as(client) is None


def test_it_refuses_a_response_nobody_asked_for(client, world, saml_idp):
    idp = saml_idp(allow_domain_join=True)
    acs, data = idp.answer(_to_idp(client, "ada@acme.test"), email="ada@acme.test")
    # Another browser, which never started a sign-in, receives the response (IdP-initiated).
    other = Client(HTTP_HOST="localhost")
    response = _post_to_acs(other, acs, data)
    assert response.status_code == 403
    assert "_auth_user_id" not in other.session


def test_it_signs_in_a_rostered_member_without_a_password_and_records_their_address(
    client, world, saml_idp
):
    from allauth.account.models import EmailAddress

    from accounts.services import user_for_email

    idp = saml_idp()
    # Enrolled from a roster: an account with no password and no recorded address yet.
    member, _ = user_for_email(email="rostered@acme.test")
    Membership.objects.create(organization=world.organization, user=member)
    acs, data = idp.answer(_to_idp(client, "rostered@acme.test"), email="rostered@acme.test")
    _post_to_acs(client, acs, data)
    assert _signed_in_as(client) == member
    assert EmailAddress.objects.get(user=member).verified


def test_it_tests_and_signs_in_with_the_idps_metadata_url(client, world, saml_idp):
    idp = saml_idp(allow_domain_join=True)
    connection = world.organization.sso_connection
    with idp.metadata_url() as url:
        connection.idp_metadata_url, connection.idp_sso_url, connection.idp_certificate = (
            url,
            "",
            "",
        )
        connection.save(update_fields=["idp_metadata_url", "idp_sso_url", "idp_certificate"])
        manager = Client(HTTP_HOST="localhost")
        manager.force_login(world.manager, backend="django.contrib.auth.backends.ModelBackend")
        manager.post(f"/org/{world.organization.slug}/sso/test/")
        connection.refresh_from_db()
        assert connection.last_test_ok, connection.last_test_report
        assert "Metadata read: identity provider https://idp.acme.test/saml" in (
            connection.last_test_report
        )
        # Sign-in reads the IdP's sign-in URL and certificate from the same metadata.
        acs, data = idp.answer(_to_idp(client, "ada@acme.test"), email="ada@acme.test")
        _post_to_acs(client, acs, data)
    assert _signed_in_as(client).email == "ada@acme.test"
