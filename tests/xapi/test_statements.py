"""xAPI statements built from posts, spark answers and submitted surveys."""

import uuid

from cohorts.models import Cohort
from discussions.models import Reaction
from tests.xapi.conftest import spark_answered, thread_start
from xapi import statements
from xapi.statements import statements_all, statements_batch

ADL = "http://adlnet.gov/expapi/verbs/"


def _all(world):
    return {s["id"]: s for s in statements_all(cohorts=Cohort.objects.filter(pk=world.cohort.pk))}


def _assert_valid(statement):
    assert uuid.UUID(statement["id"])
    assert statement["actor"]["objectType"] == "Agent"
    assert set(statement["actor"]["account"]) == {"homePage", "name"}
    assert "mbox" not in statement["actor"]
    assert statement["verb"]["id"].startswith(ADL)
    assert statement["verb"]["display"]["en"]
    assert statement["object"]["objectType"] == "Activity"
    assert statement["object"]["id"].startswith("http")
    assert statement["timestamp"].endswith("Z")
    grouping = statement["context"]["contextActivities"]["grouping"]
    assert grouping[0]["definition"]["name"]["en"] == "Feedback that lands"


def test_it_makes_a_valid_statement_of_each_kind_with_the_right_verb(world, activity):
    found = _all(world)
    by_pk = {
        "post": {activity.article.pk, activity.question.pk, activity.reply.pk},
        "spark_answer": {activity.spark_answer.pk},
        "survey_response": {activity.response.pk},
    }
    assert set(found) == {
        statements.statement_id(source, pk) for source, pks in by_pk.items() for pk in pks
    }
    for statement in found.values():
        _assert_valid(statement)
    verb = {key: s["verb"]["id"].removeprefix(ADL) for key, s in found.items()}
    assert verb[statements.statement_id("post", activity.article.pk)] == "shared"
    assert verb[statements.statement_id("post", activity.question.pk)] == "asked"
    assert verb[statements.statement_id("post", activity.reply.pk)] == "commented"
    assert verb[statements.statement_id("spark_answer", activity.spark_answer.pk)] == "answered"
    assert verb[statements.statement_id("survey_response", activity.response.pk)] == "completed"


def test_it_identifies_people_by_account_never_by_email(world, activity):
    reply = _all(world)[statements.statement_id("post", activity.reply.pk)]
    assert reply["actor"]["account"]["name"] == str(world.participant.pk)
    assert world.participant.email not in str(reply)
    assert reply["result"]["response"] == "Kindly."


def test_it_records_right_or_wrong_confidence_and_scores(world, activity):
    found = _all(world)
    answer = found[statements.statement_id("spark_answer", activity.spark_answer.pk)]
    assert answer["result"]["success"] is True
    assert answer["result"]["extensions"] == {statements.CONFIDENCE_EXTENSION: 3}
    assert answer["object"]["definition"]["interactionType"] == "choice"
    assert answer["object"]["definition"]["description"] == {"en": "Give feedback on behaviour"}
    survey = found[statements.statement_id("survey_response", activity.response.pk)]
    assert survey["result"]["score"] == {"raw": 3, "min": 0, "max": 4, "scaled": 0.75}


def test_it_keeps_ids_stable_and_leaves_out_removed_posts_and_reactions(world, activity):
    first = _all(world)
    Reaction.objects.create(post=activity.reply, user=world.groupmate, kind="useful")
    activity.article.removed_at = activity.article.created_at
    activity.article.save(update_fields=["removed_at"])
    second = _all(world)
    assert set(second) == set(first) - {statements.statement_id("post", activity.article.pk)}
    assert all(second[key] == first[key] for key in second)


def test_it_keeps_other_cohorts_and_organisations_out(world, activity):
    thread_start(world, kind="article", title="Elsewhere", author=world.instructor)
    spark_answered(world, participant=world.other_cohort_participant, cohort=world.other_cohort)
    only_this = _all(world)
    assert len(only_this) == 5 + 1  # the thread made just now is in this cohort
    other = list(statements_all(cohorts=Cohort.objects.filter(pk=world.outsider_cohort.pk)))
    assert other == []


def test_it_reads_in_batches_in_one_query_each(world, django_assert_num_queries):
    cohorts = Cohort.objects.filter(pk=world.cohort.pk)
    for n in range(3):
        thread_start(world, kind="discussion", title=f"T{n}")
    with django_assert_num_queries(1):
        few = statements_batch(source="post", cohorts=cohorts, size=2)
    for n in range(3, 12):
        thread_start(world, kind="discussion", title=f"T{n}")
    with django_assert_num_queries(1):
        many = statements_batch(source="post", cohorts=cohorts, size=10)
    assert len(few.statements) == 2 and len(many.statements) == 10
    rest = statements_batch(source="post", cohorts=cohorts, after_pk=many.last_pk, size=10)
    assert len(rest.statements) == 2 and rest.last_pk > many.last_pk
