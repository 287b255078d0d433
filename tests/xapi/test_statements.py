import re
import uuid
from datetime import datetime

import pytest

from discussions.models import Post
from xapi.statements import actor_name, statement_id, statements_iter

ADL = "http://adlnet.gov/expapi/verbs/"


def _check_xapi(statement: dict) -> None:
    """The fields xAPI 1.0.3 requires, in the shapes it requires them."""
    assert uuid.UUID(statement["id"]).version == 5
    actor = statement["actor"]
    assert actor["objectType"] == "Agent"
    assert set(actor) == {"objectType", "account"}
    assert actor["account"]["homePage"].startswith("http")
    assert re.fullmatch(r"[0-9a-f]{32}", actor["account"]["name"])
    verb = statement["verb"]
    assert verb["id"].startswith(("http://", "https://"))
    assert verb["display"]["en-GB"]
    target = statement["object"]
    assert target["objectType"] == "Activity"
    assert target["id"].startswith("http")
    assert target["definition"]["name"]["en-GB"]
    assert datetime.fromisoformat(statement["timestamp"]).tzinfo is not None
    grouping = statement["context"]["contextActivities"]["grouping"]
    assert grouping[0]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"


def _by_verb(statements: list[dict], verb: str) -> list[dict]:
    return [s for s in statements if s["verb"]["id"].endswith(verb)]


@pytest.fixture
def statements(world, activity, settings):
    settings.SITE_URL = "https://training.example.com"
    return list(statements_iter(organization_id=world.organization.pk))


def test_it_builds_valid_statements_of_every_kind(statements):
    for statement in statements:
        _check_xapi(statement)
    verbs = sorted(s["verb"]["display"]["en-GB"] for s in statements)
    # Article, opening question, reply, comment; a like; two spark answers; two responses.
    assert verbs == ["answered"] * 2 + ["commented"] * 3 + ["completed"] * 2 + ["liked", "shared"]


def test_it_says_a_shared_article_with_its_link(world, activity, statements):
    (shared,) = _by_verb(statements, "shared")
    assert shared["verb"]["id"] == ADL + "shared"
    assert shared["object"]["definition"]["moreInfo"] == "https://example.org/radical-candour"
    assert shared["context"]["extensions"][
        "https://training.example.com/xapi/extensions/channel"
    ] == ("research")
    assert shared["actor"]["account"] == {
        "homePage": "https://training.example.com",
        "name": actor_name(world.instructor.pk),
    }


def test_it_says_openings_replies_and_comments_are_commented(activity, statements):
    commented = _by_verb(statements, "commented")
    assert {s["verb"]["id"] for s in commented} == {ADL + "commented"}
    responses = {s["result"]["response"] for s in commented}
    assert responses == {
        "I always freeze at the start.",
        "Name the behaviour first.",
        "Thanks, trying it today.",
    }
    thread_ids = {s["object"]["id"] for s in commented}
    assert thread_ids == {
        f"https://training.example.com/xapi/activities/thread/{activity.question.pk}"
    }


def test_it_says_a_reaction_is_liked_in_its_thread(activity, statements):
    (liked,) = _by_verb(statements, "like")
    assert liked["verb"]["id"] == "http://activitystrea.ms/schema/1.0/like"
    assert liked["object"]["id"].endswith(f"/xapi/activities/post/{activity.reply.pk}")
    parent = liked["context"]["contextActivities"]["parent"][0]
    assert parent["id"].endswith(f"/xapi/activities/thread/{activity.question.pk}")
    assert liked["context"]["extensions"][
        "https://training.example.com/xapi/extensions/reaction"
    ] == ("learned")


def test_it_says_spark_answers_with_success_response_and_confidence(activity, statements):
    answered = {s["id"]: s for s in _by_verb(statements, "answered")}
    knowledge = answered[statement_id("spark-answer", activity.knowledge_answer.pk)]
    assert knowledge["verb"]["id"] == ADL + "answered"
    assert knowledge["result"]["success"] is True
    assert knowledge["result"]["response"] == f"choice-{activity.right.pk}"
    assert knowledge["result"]["extensions"] == {
        "https://training.example.com/xapi/extensions/confidence": 4
    }
    definition = knowledge["object"]["definition"]
    assert definition["interactionType"] == "choice"
    assert definition["correctResponsesPattern"] == [f"choice-{activity.right.pk}"]
    assert [c["id"] for c in definition["choices"]] == [
        f"choice-{activity.right.pk}",
        f"choice-{activity.wrong.pk}",
    ]
    open_answer = answered[statement_id("spark-answer", activity.open_answer.pk)]
    assert open_answer["result"] == {"response": "I asked before giving feedback."}
    assert open_answer["object"]["definition"]["interactionType"] == "long-fill-in"


def test_it_says_submitted_responses_are_completed_with_a_scaled_score(activity, statements):
    completed = {s["id"]: s for s in _by_verb(statements, "completed")}
    scored = completed[statement_id("survey-response", activity.scored.pk)]
    assert scored["verb"]["id"] == ADL + "completed"
    assert scored["result"] == {
        "completion": True,
        "score": {"raw": 3, "min": 0, "max": 4, "scaled": 0.75},
    }
    assert (
        scored["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/assessment"
    )
    unscored = completed[statement_id("survey-response", activity.unscored.pk)]
    assert unscored["result"] == {"completion": True}


def test_it_leaves_out_drafts_anonymous_surveys_and_spark_answer_posts(activity, statements):
    ids = {s["id"] for s in statements}
    assert statement_id("survey-response", activity.draft.pk) not in ids
    assert statement_id("survey-response", activity.anonymous.pk) not in ids
    assert statement_id("post", activity.knowledge_answer.post_id) not in ids


def test_it_leaves_out_removed_posts(world, activity, settings):
    Post.objects.filter(pk=activity.comment.pk).update(removed_at=activity.comment.created_at)
    statements = list(statements_iter(organization_id=world.organization.pk))
    assert statement_id("post", activity.comment.pk) not in {s["id"] for s in statements}


def test_it_never_names_people_by_email(world, statements):
    text = str(statements)
    assert "@example.test" not in text
    assert world.participant.display_name not in text


def test_it_keeps_statement_ids_and_actor_names_stable(world, activity, statements):
    again = list(statements_iter(organization_id=world.organization.pk))
    assert [s["id"] for s in again] == [s["id"] for s in statements]
    assert statement_id("post", 7) == statement_id("post", 7)
    assert statement_id("post", 7) != statement_id("reaction", 7)
    assert actor_name(world.participant.pk) != actor_name(world.groupmate.pk)


def test_it_scopes_a_cohort_to_its_own_statements(world, activity):
    assert list(statements_iter(cohort_id=world.other_cohort.pk)) == []
    assert len(list(statements_iter(cohort_id=world.cohort.pk))) == 9
    assert list(statements_iter(organization_id=world.other_organization.pk)) == []


def test_it_leaves_out_what_a_moderator_removed_or_hid_through_answers_and_reactions(
    world, activity, settings
):
    from discussions.models import Reaction

    answer_post = activity.knowledge_answer.post_id
    Post.objects.filter(pk=answer_post).update(hidden_at=activity.reply.created_at)
    Post.objects.filter(pk=activity.reply.pk).update(removed_at=activity.reply.created_at)
    ids = {s["id"] for s in statements_iter(organization_id=world.organization.pk)}
    assert statement_id("spark-answer", activity.knowledge_answer.pk) not in ids
    reaction = Reaction.objects.get(post=activity.reply)
    assert statement_id("reaction", reaction.pk) not in ids
