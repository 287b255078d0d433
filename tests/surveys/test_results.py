"""Results of a round and of a cohort: aggregated in the database, anonymous ones only from 5."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cohorts.timeline import Anchor
from socialtraining import clock
from surveys import answering, rounds
from surveys.models import Choice, Question, QuestionKind, Round, RoundStatus
from tests import factories


def open_round_of(survey, label="Right after", days_ago=1):
    round_ = rounds.round_schedule(
        survey=survey,
        plan=rounds.RoundPlan(
            label=label,
            anchor=Anchor.AT,
            opens_at=clock.now() - timedelta(days=days_ago),
            open_days=days_ago + 7,
        ),
    )
    Round.objects.filter(pk=round_.pk).update(status=RoundStatus.OPEN)
    round_.refresh_from_db()
    return round_


def answer(round_, person, *, likert=4, nps=9, text="", sbi="Behaviour", parts=("Specific",)):
    q = {question.position: question for question in round_.survey.questions.all()}
    raw = {
        q[1].pk: {"number": str(likert)},
        q[2].pk: {"number": str(nps)},
        q[3].pk: {"text": text},
        q[4].pk: {"choices": [str(q[4].choices.get(text=sbi).pk)]},
        q[5].pk: {"choices": [str(q[5].choices.get(text=p).pk) for p in parts]},
    }
    _, problems = answering.response_submit(round_=round_, participant=person, raw=raw)
    assert problems == []


def more_participants(world, n):
    people = [factories.UserFactory(display_name=f"Person {i}") for i in range(n)]
    for person in people:
        factories.EnrolmentFactory(cohort=world.cohort, user=person)
    return people


def results_url(round_, name="surveys:results"):
    return reverse(name, args=[round_.cohort_id, round_.pk])


def test_it_shows_rate_nps_distributions_correctness_score_and_texts(
    world, knowledge_survey, client_for
):
    round_ = open_round_of(knowledge_survey)
    answer(
        round_, world.participant, nps=10, text="Loved the role plays", parts=("Specific", "Timely")
    )
    answer(round_, world.groupmate, likert=2, nps=3, sbi="Belief")
    html = client_for(world.instructor).get(results_url(round_)).content.decode()
    # 2 of the 3 participants; NPS: one promoter, one detractor.
    assert "66.7%" in html and "(2 of 3)" in html
    assert "NPS 0" in html
    assert "Mean 3.0" in html
    # SBI: one right of two; the average of 2/2 and 0/2 is 50 %.
    assert "50.0% answered correctly" in html
    assert "Average score</dt><dd>50.0%" in html
    assert "Loved the role plays" in html and world.participant.name in html


def test_it_shows_people_invited_but_not_joined_apart_from_the_response_rate(
    world, knowledge_survey, client_for
):
    from django.contrib.auth.hashers import make_password

    from accounts.models import Invitation

    round_ = open_round_of(knowledge_survey)
    answer(round_, world.participant)
    answer(round_, world.groupmate)
    # Imported from a roster: an account nobody can sign in with yet, and an open invitation.
    for n in range(2):
        invitee = factories.UserFactory(
            email=f"Invitee{n}@example.test", password=make_password(None)
        )
        factories.EnrolmentFactory(cohort=world.cohort, user=invitee)
        Invitation.objects.create(
            organization=world.organization,
            email=invitee.email.lower(),
            expires_at=Invitation.default_expiry(),
        )
    # One of them answered from the email's link: counted with the participants.
    answer(round_, invitee)
    html = client_for(world.instructor).get(results_url(round_)).content.decode()
    assert "75.0%" in html and "(3 of 4)" in html
    assert "1 more invited, not joined yet: not counted" in html


def test_it_costs_the_same_queries_for_few_and_many_responses_and_questions(
    world, knowledge_survey, client_for
):
    round_ = open_round_of(knowledge_survey)
    answer(round_, world.participant, text="Fine")
    client = client_for(world.manager)
    with CaptureQueriesContext(connection) as small:
        assert client.get(results_url(round_)).status_code == 200
    extra = Question.objects.create(
        survey=knowledge_survey,
        position=6,
        kind=QuestionKind.SINGLE,
        text="Format?",
        required=False,
    )
    Choice.objects.create(question=extra, text="In person")
    Question.objects.create(
        survey=knowledge_survey, position=7, kind=QuestionKind.TEXT, text="Why?", required=False
    )
    for person in [world.groupmate, *more_participants(world, 8)]:
        answer(round_, person, text=f"Said by {person.pk}")
    with CaptureQueriesContext(connection) as large:
        assert client.get(results_url(round_)).status_code == 200
    assert len(large) == len(small)
    with CaptureQueriesContext(connection) as csv_large:
        b"".join(client.get(results_url(round_, "surveys:results_csv")).streaming_content)
    assert len(csv_large) <= len(small)


def test_it_computes_the_results_once_per_submission_and_shows_each_new_one(
    world, knowledge_survey, client_for, django_assert_max_num_queries
):
    round_ = open_round_of(knowledge_survey)
    answer(round_, world.participant, likert=5)
    client = client_for(world.instructor)
    with CaptureQueriesContext(connection) as first:
        assert "(1 of 3)" in client.get(results_url(round_)).content.decode()
    # Read again with nothing new: the per-question results come from the cache.
    with django_assert_max_num_queries(len(first) - 4):
        assert "(1 of 3)" in client.get(results_url(round_)).content.decode()
    answer(round_, world.groupmate, likert=1)
    html = client.get(results_url(round_)).content.decode()
    assert "(2 of 3)" in html and "Mean 3.0" in html


def test_it_shows_nothing_of_an_anonymous_survey_below_five_responses(
    world, knowledge_survey, client_for
):
    knowledge_survey.anonymous = True
    knowledge_survey.save(update_fields=["anonymous"])
    round_ = open_round_of(knowledge_survey)
    people = [world.participant, world.groupmate, world.other_group_participant]
    people += more_participants(world, 2)
    for n, person in enumerate(people[:4]):
        answer(round_, person, text=f"Secret number {n}")
    client = client_for(world.instructor)
    html = client.get(results_url(round_)).content.decode()
    assert "results appear once at least 5 people have answered" in html
    assert "Secret number" not in html and "NPS" not in html
    lines = b"".join(client.get(results_url(round_, "surveys:results_csv")).streaming_content)
    assert len(lines.decode("utf-8-sig").strip().splitlines()) == 1

    answer(round_, people[4], text="Fifth")
    html = client.get(results_url(round_)).content.decode()
    assert "NPS" in html and "Fifth" in html and "Secret number 3" in html
    # Totals only: no name next to any answer.
    assert all(person.name not in html for person in people)


def test_it_exports_one_row_per_response_with_a_bom_and_iso_dates(
    world, knowledge_survey, client_for
):
    round_ = open_round_of(knowledge_survey)
    answer(round_, world.participant, text="Très bien, merci", parts=("Specific", "Timely"))
    answer(round_, world.groupmate, sbi="Belief")
    response = client_for(world.manager).get(results_url(round_, "surveys:results_csv"))
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Name", "Email", "Useful?"]
    assert rows[0][-3:] == ["Score", "Out of", "Submitted at"]
    assert len(rows) == 3
    mine = next(r for r in rows if r[1] == world.participant.email)
    assert mine[2:9] == ["4", "9", "Très bien, merci", "Behaviour", "Specific; Timely", "2", "2"]
    assert timezone.datetime.fromisoformat(mine[-1]).tzinfo is not None


def test_it_exports_an_anonymous_survey_without_names_or_emails(
    world, knowledge_survey, client_for
):
    knowledge_survey.anonymous = True
    knowledge_survey.save(update_fields=["anonymous"])
    round_ = open_round_of(knowledge_survey)
    people = [world.participant, world.groupmate, *more_participants(world, 3)]
    for person in people:
        answer(round_, person)
    body = b"".join(
        client_for(world.instructor)
        .get(results_url(round_, "surveys:results_csv"))
        .streaming_content
    ).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "Useful?" and len(rows) == 6
    assert all(p.email not in body and p.name not in body for p in people)


def test_it_shows_the_cohort_retention_in_time_order_and_what_fades_first(
    world, knowledge_survey, client_for, django_assert_max_num_queries
):
    Question.objects.filter(survey=knowledge_survey, position=4).update(objective="SBI model")
    Question.objects.filter(survey=knowledge_survey, position=5).update(objective="Landing")
    post = open_round_of(knowledge_survey, "Right after", days_ago=40)
    later = open_round_of(knowledge_survey, "+30 days", days_ago=5)
    for person in (world.participant, world.groupmate):
        answer(post, person, parts=("Specific", "Timely"))
    answer(later, world.participant, parts=("Specific", "Timely"))
    answer(later, world.groupmate, sbi="Belief", parts=("Specific", "Timely"))
    client = client_for(world.instructor)
    with django_assert_max_num_queries(10):
        html = client.get(reverse("surveys:retention", args=[world.cohort.pk])).content.decode()
    assert html.index("Right after") < html.index("+30 days")
    assert "100.0%" in html and "75.0%" in html
    # SBI fell from 100 % to 50 %; landing held: SBI is listed first.
    assert html.index("SBI model") < html.index("Landing")
    assert "50.0 pts" in html


@pytest.mark.parametrize("person", ["participant", "other_cohort_participant", "outsider"])
def test_it_is_a_404_for_anyone_not_teaching(world, knowledge_survey, client_for, person):
    round_ = open_round_of(knowledge_survey)
    client = client_for(getattr(world, person))
    assert client.get(results_url(round_)).status_code == 404
    assert client.get(results_url(round_, "surveys:results_csv")).status_code == 404


def test_it_exports_names_and_answers_that_look_like_formulas_as_text(
    world, knowledge_survey, client_for
):
    # OWASP "CSV injection": a cell starting with = + - @ runs as a formula in Excel.
    world.participant.display_name = '=HYPERLINK("http://evil.test","Click")'
    world.participant.save(update_fields=["display_name"])
    round_ = open_round_of(knowledge_survey)
    answer(round_, world.participant, text="+SUM(1,2)")
    answer(round_, world.groupmate, text="@import and -1 more")
    response = client_for(world.manager).get(results_url(round_, "surveys:results_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil.test","Click")' in cells
    assert "'+SUM(1,2)" in cells and "'@import and -1 more" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
