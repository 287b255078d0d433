import pytest
from django.core.cache import cache

from lti.models import LtiPlatform
from lti.tool import public_jwk
from tests.lti.platform import SuitePlatform


@pytest.fixture(autouse=True)
def _clear_cache():
    # pylti1p3 keeps the login's state and nonce in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lms(world, client_for):
    """The test LMS, registered by the organisation's manager through the LMS page."""
    platform = SuitePlatform()
    client = client_for(world.manager)
    response = client.post(f"/org/{world.organization.slug}/lti/", platform.registration())
    assert response.status_code == 302, response.content[:500]
    client.logout()
    registered = LtiPlatform.objects.get(organization=world.organization)
    # The LMS administrator pasted the tool's JWKS URL; the platform trusts that key.
    platform.tool_jwk = public_jwk(registered)
    platform.registered = registered
    yield platform
    platform.close()
