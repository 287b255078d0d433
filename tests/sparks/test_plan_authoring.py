"""Writing, editing, turning a post into a spark and the 2 + 2 + 2 boosters, through the pages."""

import re
from datetime import timedelta

import pytest

from discussions.models import Post, Thread
from socialtraining import clock
from sparks import planning
from sparks.models import Delivery, Spark, SparkKind, SparkTarget

PARTICIPANTS = 3


def spark_form(**overrides) -> dict:
    data = {
        "kind": "knowledge",
        "question": "What does the I in SBI stand for?",
        "objective": "Giving feedback",
        "offset_days": "2",
        "target": "cohort",
        "ask_confidence": "on",
        "explanation": "Impact: what their behaviour did to you or the team.",
        "choices-TOTAL_FORMS": "3",
        "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "20",
        "choices-0-text": "Impact",
        "choices-0-is_correct": "on",
        "choices-1-text": "Intention",
        "choices-2-text": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_it_links_the_sparks_page_from_the_cohort_page_for_those_who_teach(world, client_for):
    url = f"/cohorts/{world.cohort.pk}/sparks/"
    assert url in client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/").text
    assert url in client_for(world.manager).get(f"/cohorts/{world.cohort.pk}/").text
    assert url not in client_for(world.participant).get(f"/cohorts/{world.cohort.pk}/").text


def test_it_writes_a_knowledge_spark_and_plans_an_ask_per_participant(world, client_for):
    client = client_for(world.instructor)
    response = client.post(f"/cohorts/{world.cohort.pk}/sparks/new/", spark_form())
    assert response.status_code == 302
    spark = Spark.objects.get()
    assert (spark.kind, spark.objective, spark.ask_confidence, spark.created_by) == (
        SparkKind.KNOWLEDGE,
        "Giving feedback",
        True,
        world.instructor,
    )
    assert [(c.text, c.is_correct) for c in spark.choices.all()] == [
        ("Impact", True),
        ("Intention", False),
    ]
    assert Delivery.objects.filter(spark=spark).count() == PARTICIPANTS
    page = client.get(response["Location"]).text
    assert "What does the I in SBI stand for?" in page


def test_it_accepts_several_correct_answers(world, client_for):
    data = spark_form(**{"choices-1-is_correct": "on"})
    response = client_for(world.instructor).post(f"/cohorts/{world.cohort.pk}/sparks/new/", data)
    assert response.status_code == 302
    assert Spark.objects.get().choices.filter(is_correct=True).count() == 2


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"choices-0-is_correct": None}, "Tick the correct answer"),
        ({"choices-1-text": ""}, "Give at least two choices."),
        ({"choices-1-text": "impact"}, "Each choice must be different"),
        ({"offset_days": "-3"}, "greater than or equal to 0"),
        ({"question": "   "}, "This field is required."),
    ],
)
def test_it_says_what_is_wrong_and_keeps_the_text(world, client_for, overrides, message):
    response = client_for(world.instructor).post(
        f"/cohorts/{world.cohort.pk}/sparks/new/", spark_form(**overrides)
    )
    assert response.status_code == 400
    assert message in response.text
    assert "Impact: what their behaviour did to you or the team." in response.text
    assert not Spark.objects.exists()


def test_it_writes_an_open_spark_for_every_study_group_ignoring_choices(world, client_for):
    data = spark_form(kind="open", target="groups", question="How did your last 1:1 go?")
    response = client_for(world.manager).post(f"/cohorts/{world.cohort.pk}/sparks/new/", data)
    assert response.status_code == 302
    spark = Spark.objects.get()
    assert (spark.kind, spark.target, spark.ask_confidence) == ("open", "groups", False)
    assert not spark.choices.exists()


def test_it_edits_everything_while_nothing_went_out(world, client_for, knowledge_spark):
    url = f"/cohorts/{world.cohort.pk}/sparks/{knowledge_spark.pk}/edit/"
    client = client_for(world.instructor)
    form = client.get(url)
    assert "What does the B in SBI stand for?" in form.text
    assert "Belief" in form.text
    response = client.post(url, spark_form(offset_days="5"))
    assert response.status_code == 302
    knowledge_spark.refresh_from_db()
    assert knowledge_spark.question == "What does the I in SBI stand for?"
    assert knowledge_spark.offset_days == 5
    assert list(knowledge_spark.choices.values_list("text", flat=True)) == ["Impact", "Intention"]


def test_it_explains_what_changes_once_asks_went_out(world, client_for, knowledge_spark):
    planning.sparks_plan(cohort=world.cohort)
    Delivery.objects.filter(participant=world.participant).update(sent_at=clock.now())
    url = f"/cohorts/{world.cohort.pk}/sparks/{knowledge_spark.pk}/edit/"
    client = client_for(world.instructor)
    assert "already gone out" in client.get(url).text
    data = spark_form(
        question="What does the B in SBI stand for, again?",
        **{"choices-0-text": "Behaviour", "choices-1-text": "Belief", "choices-2-text": "Bias"},
    )
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "its choices stay as they are" in refused.text
    assert "What does the B in SBI stand for, again?" in refused.text
    assert knowledge_spark.choices.count() == 2
    data.update({"choices-2-text": "", "explanation": "Behaviour: what they did."})
    assert client.post(url, data).status_code == 302
    knowledge_spark.refresh_from_db()
    assert knowledge_spark.question == "What does the B in SBI stand for, again?"
    assert knowledge_spark.explanation == "Behaviour: what they did."


def test_it_turns_a_post_into_a_spark_for_those_who_teach(world, client_for):
    thread = Thread.objects.create(
        cohort=world.cohort, study_group=world.group, author=world.participant, title="Feedback"
    )
    post = Post.objects.create(
        thread=thread,
        author=world.groupmate,
        kind="reply",
        body="How do you give feedback to someone more senior than you?",
    )
    thread_url = f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/"
    url = f"{thread_url}posts/{post.pk}/spark/"
    instructor = client_for(world.instructor)
    # The post's "Moderate" button on the thread page brings the link, with its other tools.
    assert f"{thread_url}posts/{post.pk}/moderate/" in instructor.get(thread_url).text
    assert url in instructor.get(f"{thread_url}posts/{post.pk}/moderate/").text
    form = instructor.get(url)
    assert form.status_code == 200
    assert "How do you give feedback to someone more senior than you?" in form.text
    assert re.search(r'value="groups"[^>]*checked', form.text)
    response = instructor.post(
        url,
        spark_form(kind="open", target="groups", question="How do you give feedback upwards?"),
    )
    assert response.status_code == 302
    spark = Spark.objects.get()
    assert (spark.source_post, spark.target) == (post, SparkTarget.GROUPS)
    participant = client_for(world.participant)
    assert url not in participant.get(thread_url).text
    assert participant.get(url).status_code == 404


def test_it_prefills_a_spark_from_a_post_as_text_not_markdown(world, client_for):
    from discussions import posting

    thread = Thread.objects.create(cohort=world.cohort, author=world.participant, title="Feedback")
    post = posting.post_reply(
        thread=thread,
        author=world.groupmate,
        body="**My answer:** ask @[Nobody Here] _first_",
        idempotency_key="prefill",
    )
    url = f"/cohorts/{world.cohort.pk}/threads/{thread.pk}/posts/{post.pk}/spark/"
    form = client_for(world.instructor).get(url).text
    assert "My answer: ask @Nobody Here first</textarea>" in form
    assert "<strong>My answer:</strong>" in form and "**" not in form


def test_it_adds_the_two_two_two_boosters_once(world, client_for):
    client = client_for(world.instructor)
    url = f"/cohorts/{world.cohort.pk}/sparks/two-two-two/"
    response = client.post(url, follow=True)
    assert "3 booster sparks added" in response.text
    assert list(Spark.objects.values_list("offset_days", "objective")) == [
        (2, "Recall"),
        (14, "Application"),
        (60, "Integration"),
    ]
    assert Delivery.objects.count() == 3 * PARTICIPANTS
    again = client.post(url, follow=True)
    assert "already holds the 2 + 2 + 2 boosters" in again.text
    assert Spark.objects.count() == 3


def _workshop_ended_days_ago(world, days):
    end = clock.now() - timedelta(days=days)
    world.cohort.sessions.update(starts_at=end - timedelta(hours=3), ends_at=end)


def test_it_offers_to_start_the_boosters_from_today_after_a_workshop_long_past(world, client_for):
    _workshop_ended_days_ago(world, 70)
    client = client_for(world.instructor)
    url = f"/cohorts/{world.cohort.pk}/sparks/two-two-two/"
    page = client.post(url)
    assert page.status_code == 200
    assert "The workshop ended 70 days ago." in page.text
    assert "+2 and +14 and +60 would have gone out already, so nobody would get them" in page.text
    assert "Add only" not in page.text
    assert not Spark.objects.exists()

    response = client.post(url, {"start": "today"}, follow=True)
    assert "3 booster sparks added, days +72, +84, +130 after the workshop" in response.text
    assert "(counted from today)" in response.text
    assert sorted(Spark.objects.values_list("offset_days", flat=True)) == [72, 84, 130]
    assert Delivery.objects.count() == 3 * PARTICIPANTS


def test_it_adds_only_the_boosters_still_ahead_when_asked(world, client_for):
    _workshop_ended_days_ago(world, 10)
    client = client_for(world.instructor)
    url = f"/cohorts/{world.cohort.pk}/sparks/two-two-two/"
    assert "Add only days +14 and +60" in client.post(url).text
    response = client.post(url, {"start": "ahead"}, follow=True)
    assert "2 booster sparks added, days +14, +60 after the workshop." in response.text
    assert sorted(Spark.objects.values_list("offset_days", flat=True)) == [14, 60]
    assert Delivery.objects.count() == 2 * PARTICIPANTS


def test_it_hides_another_organisation_s_spark(world, client_for, knowledge_spark):
    url = f"/cohorts/{world.cohort.pk}/sparks/{knowledge_spark.pk}/edit/"
    assert client_for(world.outsider).get(url).status_code == 404
    other = Spark.objects.create(cohort=world.other_cohort, question="Elsewhere?", offset_days=1)
    mine_with_theirs = f"/cohorts/{world.cohort.pk}/sparks/{other.pk}/edit/"
    assert client_for(world.instructor).get(mine_with_theirs).status_code == 404
    response = client_for(world.instructor).post(
        f"/cohorts/{world.cohort.pk}/sparks/{other.pk}/cancel/"
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.cancelled_at is None


def test_it_plans_nothing_for_a_day_that_has_passed_until_sent_now(world, client_for):
    session = world.cohort.sessions.get()
    session.starts_at -= timedelta(days=30)
    session.ends_at -= timedelta(days=30)
    session.save(update_fields=["starts_at", "ends_at"])
    response = client_for(world.instructor).post(
        f"/cohorts/{world.cohort.pk}/sparks/new/", spark_form(offset_days="2")
    )
    assert response.status_code == 302
    assert not Delivery.objects.exists()
    plan = client_for(world.instructor).get(f"/cohorts/{world.cohort.pk}/sparks/").text
    assert "no asks planned" in plan
