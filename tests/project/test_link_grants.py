from datetime import timedelta

import pytest
from django.core import signing

from socialtraining import clock, clock_signing, link_grants


def test_it_grants_one_object_as_the_newest_link_s_person():
    session = {}
    link_grants.grant(session, "survey_round", 7, 1)
    link_grants.grant(session, "survey_round", 7, 2)
    assert link_grants.granted_user_id(session, "survey_round", 7) == 2
    assert link_grants.granted_user_id(session, "survey_round", 8) is None
    # Grants of one kind never open an object of another.
    assert link_grants.granted_user_id(session, "spark_delivery", 7) is None


def test_it_keeps_only_the_last_few_links():
    session = {}
    for object_id in range(link_grants.KEPT + 3):
        link_grants.grant(session, "spark_delivery", object_id, 1)
    assert link_grants.granted_user_id(session, "spark_delivery", 0) is None
    assert link_grants.granted_user_id(session, "spark_delivery", link_grants.KEPT + 2) == 1


def test_a_token_signed_before_the_project_clock_still_reads_and_ages_on_that_clock(travel):
    # A link mailed before signing moved to the project clock: Django's own signer, same salt.
    token = signing.dumps({"d": 7, "u": 9}, salt="sparks.delivery-link")
    assert clock_signing.loads(token, salt="sparks.delivery-link", max_age=3600) == {"d": 7, "u": 9}
    travel.to(clock.now() + timedelta(hours=2))
    with pytest.raises(signing.SignatureExpired):
        clock_signing.loads(token, salt="sparks.delivery-link", max_age=3600)
