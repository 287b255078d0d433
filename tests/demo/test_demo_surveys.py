"""Demo and benchmark surveys: realistic, consistent rows, and nothing sent while seeding."""

from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from demo.bench_seed import BENCH_SURVEY_COHORT
from demo.surveys import BENCH_SURVEY_QUESTIONS
from notifications.models import OutboxMessage
from surveys import results
from surveys.models import Answer, Response, ResponseStatus, Round, RoundStatus


def test_it_gives_both_past_cohorts_a_reaction_round_and_leaves_one_open_for_the_participant(
    demo, client
):
    reaction = Round.objects.filter(cohort__organization=demo, survey__purpose="reaction")
    assert sorted(reaction.values_list("cohort__name", "status")) == [
        ("Coaching conversations", RoundStatus.CLOSED),
        ("Leading hybrid teams", RoundStatus.OPEN),
    ]
    sam = User.objects.get(email="participant@demo.test")
    open_round = reaction.get(status=RoundStatus.OPEN)
    assert not Response.objects.filter(round=open_round, participant=sam).exists()
    assert open_round.responses.count() >= 8
    client.force_login(sam, backend="django.contrib.auth.backends.ModelBackend")
    waiting = client.get(reverse("home")).content.decode()
    assert "How was the workshop?" in waiting
    page = client.get(reverse("surveys:answer", args=[open_round.cohort_id, open_round.pk]))
    assert page.status_code == 200 and "Submit" in page.content.decode()
    assert not OutboxMessage.objects.exists()


def test_it_shows_knowledge_falling_after_the_workshop_then_stabilising(demo):
    coaching = demo.cohorts.get(name="Coaching conversations")
    scores, rows = results.cohort_retention(coaching)
    knowledge = [s for s in scores if s.round.survey.purpose == "knowledge"]
    assert [s.round.label for s in knowledge] == [
        "Before the workshop",
        "Right after",
        "+30 days",
        "+60 days",
    ]
    pre, post, day30, day60 = (s.average_percent for s in knowledge)
    assert pre < day60 <= day30 < post
    # The fall from right after to +30 days is larger than from +30 to +60 days.
    assert post - day30 > day30 - day60
    assert rows[0].label == "Listening levels"


def test_it_scores_every_demo_response_consistently_with_its_answers(demo):
    for response in Response.objects.filter(round__survey__purpose="knowledge")[:20]:
        correct = Answer.objects.filter(response=response, is_correct=True).count()
        assert response.score == correct and response.max_score == 5
        assert response.status == ResponseStatus.SUBMITTED
        assert response.submitted_at <= response.round.closes_at


def test_it_marks_every_demo_knowledge_answer_by_the_survey_s_one_rule(demo):
    from surveys.answering import answer_is_correct

    answers = Answer.objects.filter(
        response__round__cohort__organization=demo, question__kind="knowledge"
    ).prefetch_related("choices", "question__choices")
    marks = [a.is_correct for a in answers]
    assert True in marks and False in marks
    for answer in answers:
        rule = answer_is_correct(picked=answer.choices.all(), choices=answer.question.choices.all())
        assert answer.is_correct == rule, answer.pk


def test_it_seeds_the_benchmark_round_with_one_response_per_person_and_every_answer(db):
    call_command("seed_demo", scale=300, verbosity=0)
    round_ = Round.objects.get(cohort__name=BENCH_SURVEY_COHORT)
    assert round_.responses.count() == 300
    assert round_.survey.questions.count() == BENCH_SURVEY_QUESTIONS
    assert Answer.objects.filter(response__round=round_).count() == 300 * BENCH_SURVEY_QUESTIONS
    summary = results.round_results(round_)
    assert summary.submitted == summary.participants == 300
    assert all(q.answered or q.texts for q in summary.questions)
