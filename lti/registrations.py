"""Registering a platform (an LMS) with the tool."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import Organization
from lti.launches import LtiError
from lti.models import LtiPlatform
from lti.tool import tool_key_pair


@transaction.atomic
def lti_platform_save(
    *, organization: Organization, platform: LtiPlatform | None = None, **fields
) -> LtiPlatform:
    """Register an LMS (a tool key is generated for it) or change its registration."""
    if platform is None:
        private_key, kid = tool_key_pair()
        platform = LtiPlatform(
            organization=organization, tool_private_key_encrypted=private_key, tool_key_id=kid
        )
    for name, value in fields.items():
        setattr(platform, name, value)
    try:
        with transaction.atomic():
            platform.save()
    except IntegrityError:
        raise LtiError("This issuer and client ID are registered already.") from None
    return platform
