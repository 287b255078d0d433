"""The answer page: the participant's own form, by sign-in or by the signed link from the email."""

from datetime import timedelta

from django.urls import reverse

from cohorts.timeline import Anchor
from socialtraining import clock
from surveys import links, rounds
from surveys.models import Answer, Response, ResponseStatus, Round, RoundStatus


def url(round_, name="surveys:answer"):
    return reverse(name, args=[round_.cohort_id, round_.pk])


def form_data(survey, *, sbi="Behaviour", parts=("Specific", "Timely"), nps="9"):
    q = {question.position: question for question in survey.questions.all()}

    def pk_of(position, text):
        return str(q[position].choices.get(text=text).pk)

    return {
        f"q{q[1].pk}-number": "4",
        f"q{q[2].pk}-number": nps,
        f"q{q[3].pk}-text": "Très utile 👍",
        f"q{q[4].pk}-choices": [pk_of(4, sbi)],
        f"q{q[4].pk}-confidence": "3",
        f"q{q[5].pk}-choices": [pk_of(5, p) for p in parts],
    }


def test_it_shows_every_question_and_says_submitting_is_final(
    world, open_round, client_for, django_assert_max_num_queries
):
    client = client_for(world.participant)
    with django_assert_max_num_queries(14):
        response = client.get(url(open_round))
    html = response.content.decode()
    assert response.status_code == 200
    assert "What does the B in SBI stand for?" in html
    assert "Once you submit, your response is final" in html
    assert 'type="checkbox"' in html and "How sure are you?" in html
    assert "only totals" not in html


def test_it_tells_participants_of_an_anonymous_survey_what_instructors_see(
    world, open_round, client_for
):
    open_round.survey.anonymous = True
    open_round.survey.save(update_fields=["anonymous"])
    html = client_for(world.participant).get(url(open_round)).content.decode()
    assert "your instructors see only totals" in html
    assert "only once 5 or more people have answered" in html


def test_it_autosaves_a_draft_and_shows_it_on_return(world, open_round, client_for):
    client = client_for(world.participant)
    data = form_data(open_round.survey)
    partial = {k: v for k, v in data.items() if k.endswith("-number")}
    response = client.post(
        url(open_round, "surveys:answer_draft"), partial, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Draft saved" in response.content.decode()
    assert "<form" not in response.content.decode()
    draft = Response.objects.get(participant=world.participant)
    assert draft.status == ResponseStatus.DRAFT
    page = client.get(url(open_round)).content.decode()
    nps = open_round.survey.questions.get(position=2)
    assert f'name="q{nps.pk}-number" value="9" checked' in page
    assert "Draft saved" in page


def test_it_saves_a_draft_without_javascript_and_comes_back_to_the_form(
    world, open_round, client_for
):
    client = client_for(world.participant)
    response = client.post(url(open_round, "surveys:answer_draft"), form_data(open_round.survey))
    assert response.status_code == 302 and response["Location"] == url(open_round)
    assert Answer.objects.filter(response__participant=world.participant).count() == 5


def test_it_refuses_a_submission_with_problems_keeps_everything_and_answers_400(
    world, open_round, client_for
):
    client = client_for(world.participant)
    data = form_data(open_round.survey, nps="11")
    text_question = open_round.survey.questions.get(position=3)
    data.pop(f"q{open_round.survey.questions.get(position=1).pk}-number")
    response = client.post(url(open_round), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "This question needs an answer." in html
    assert "Choose a value from 0 to 10." in html
    assert "Très utile 👍</textarea>" in html
    assert Answer.objects.get(question=text_question).text == "Très utile 👍"
    assert Response.objects.get().status == ResponseStatus.DRAFT


def test_it_refuses_a_tampered_choice_with_a_clear_message(world, open_round, client_for):
    data = form_data(open_round.survey)
    sbi = open_round.survey.questions.get(position=4)
    data[f"q{sbi.pk}-choices"] = ["987654"]
    response = client_for(world.participant).post(url(open_round), data)
    assert response.status_code == 400
    assert "That choice is not one of this question&#x27;s answers." in response.content.decode()


def test_it_submits_and_shows_the_score_and_explanations(world, open_round, client_for):
    client = client_for(world.participant)
    response = client.post(url(open_round), form_data(open_round.survey, parts=("Specific",)))
    assert response.status_code == 302
    page = client.get(url(open_round)).content.decode()
    assert "Your score: 1 of 2" in page and "(50.0%)" in page
    assert "Situation, Behaviour, Impact." in page
    assert "Not quite." in page and "Right." in page
    assert Response.objects.get().status == ResponseStatus.SUBMITTED


def test_it_hides_score_and_explanations_when_feedback_is_off(world, open_round, client_for):
    open_round.survey.show_feedback = False
    open_round.survey.save(update_fields=["show_feedback"])
    client = client_for(world.participant)
    client.post(url(open_round), form_data(open_round.survey))
    page = client.get(url(open_round)).content.decode()
    assert "your response was submitted" in page
    assert "Your score" not in page and "Situation, Behaviour, Impact." not in page


def test_it_refuses_a_second_submission_with_400(world, open_round, client_for):
    client = client_for(world.participant)
    client.post(url(open_round), form_data(open_round.survey))
    response = client.post(url(open_round), form_data(open_round.survey, sbi="Belief"))
    assert response.status_code == 400
    assert "already submitted" in response.content.decode()
    assert Response.objects.get().score == 2


def test_it_says_a_closed_round_is_closed_and_refuses_answers(world, open_round, client_for):
    Round.objects.filter(pk=open_round.pk).update(status=RoundStatus.CLOSED)
    client = client_for(world.participant)
    assert "no longer takes answers" in client.get(url(open_round)).content.decode()
    response = client.post(url(open_round), form_data(open_round.survey))
    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_it_says_when_a_round_not_yet_open_opens(world, knowledge_survey, client_for):
    later = rounds.round_schedule(
        survey=knowledge_survey,
        plan=rounds.RoundPlan(
            label="+30 days", anchor=Anchor.AT, opens_at=clock.now() + timedelta(days=30)
        ),
    )
    html = client_for(world.participant).get(url(later)).content.decode()
    assert "This survey is not open yet" in html


def test_it_lets_the_signed_link_answer_as_its_person_only(world, open_round, client):
    link = links.round_link_path(open_round, world.groupmate)
    assert client.get(link)["Location"] == url(open_round)
    page = client.get(url(open_round))
    assert page.status_code == 200 and "from the link in your email" in page.content.decode()
    client.post(url(open_round), form_data(open_round.survey))
    assert Response.objects.get().participant == world.groupmate
    # The grant opens this form only: nothing else of the person's.
    assert client.get(reverse("home"))["Location"].startswith("/accounts/login/")
    assert client.get(reverse("cohorts:detail", args=[world.cohort.pk])).status_code == 302


def test_it_refuses_a_link_of_someone_no_longer_in_the_cohort(world, open_round, client):
    link = links.round_link_path(open_round, world.groupmate)
    client.get(link)
    world.cohort.enrolments.filter(user=world.groupmate).delete()
    assert client.get(url(open_round))["Location"].startswith("/accounts/login/")


def test_it_is_a_404_for_someone_not_taking_part(world, open_round, client_for):
    for person in (world.instructor, world.manager, world.other_cohort_participant, world.outsider):
        assert client_for(person).get(url(open_round)).status_code == 404
    wrong_cohort = reverse("surveys:answer", args=[world.other_cohort.pk, open_round.pk])
    assert client_for(world.participant).get(wrong_cohort).status_code == 404


def test_it_shows_the_draft_time_on_the_cohort_wall_clock(world, open_round, client_for):
    world.cohort.time_zone = "Asia/Tokyo"
    world.cohort.save(update_fields=["time_zone"])
    client = client_for(world.participant)
    response = client.post(
        url(open_round, "surveys:answer_draft"),
        form_data(open_round.survey),
        headers={"HX-Request": "true"},
    )
    saved = Response.objects.get().updated_at.astimezone(world.cohort.tz)
    assert f"Draft saved {saved:%H:%M}" in response.content.decode()


def test_it_tells_an_autosave_after_closing_that_the_survey_closed(world, open_round, client_for):
    Round.objects.filter(pk=open_round.pk).update(status=RoundStatus.CLOSED)
    response = client_for(world.participant).post(
        url(open_round, "surveys:answer_draft"),
        form_data(open_round.survey),
        headers={"HX-Request": "true"},
    )
    assert "This survey is closed" in response.content.decode()
    assert not Answer.objects.exists()


def test_it_shows_a_signed_in_participant_their_own_form_even_with_another_link(
    world, open_round, client_for
):
    client = client_for(world.participant)
    client.get(links.round_link_path(open_round, world.groupmate))
    client.post(url(open_round), form_data(open_round.survey))
    assert Response.objects.get().participant == world.participant


def test_it_puts_an_error_summary_first_that_links_to_each_question_in_error(
    world, open_round, client_for
):
    survey = open_round.survey
    data = form_data(survey, nps="11")
    likert, nps = survey.questions.get(position=1), survey.questions.get(position=2)
    data.pop(f"q{likert.pk}-number")
    html = client_for(world.participant).post(url(open_round), data).content.decode()
    start = html.index('<div class="error-summary"')
    summary = html[start : html.index("<form", start)]
    # Focus lands on it when the page loads, before the questions.
    assert 'id="error-summary" tabindex="-1" autofocus' in summary
    assert "2 things need your attention" in summary
    assert f'<a href="#q{likert.pk}">{likert.text} — This question needs an answer.</a>' in summary
    assert f'<a href="#q{nps.pk}">{nps.text} — Choose a value from 0 to 10.</a>' in summary
    assert f'<fieldset id="q{likert.pk}"' in html


def test_it_refuses_a_draft_answer_too_long_keeps_the_rest_and_says_why(
    world, open_round, client_for
):
    client = client_for(world.participant)
    data = form_data(open_round.survey)
    text_question = open_round.survey.questions.get(position=3)
    huge = "word " * 200_000
    data[f"q{text_question.pk}-text"] = huge
    response = client.post(
        url(open_round, "surveys:answer_draft"), data, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "Your answer is 999,999 characters long; an answer holds at most 5,000." in body
    assert text_question.text in body
    # Every other answer is in the draft; the long one is not cut short and stored.
    answers = Answer.objects.filter(response__participant=world.participant)
    assert answers.count() == 4
    assert not answers.filter(question=text_question).exists()

    response = client.post(url(open_round, "surveys:answer_draft"), data)
    assert response.status_code == 400
    assert huge.strip() in response.content.decode()
