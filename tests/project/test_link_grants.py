from socialtraining import link_grants


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
