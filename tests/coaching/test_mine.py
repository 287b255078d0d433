def test_it_shows_the_participant_their_coach_and_what_the_coach_sees(world, client_for):
    mine = client_for(world.participant).get(f"/cohorts/{world.cohort.pk}/coach/")
    body = mine.content.decode()
    assert f"{world.coach.name} ({world.coach.email}) coaches you" in body
    assert "Exactly what your coach sees" in body
    enrolment = world.participant.enrolments.get()
    seen = client_for(world.coach).get(f"/coaching/people/{enrolment.pk}/").content.decode()

    def facts(page: str) -> str:
        return page.split('<dl class="coachee-facts">')[1].split("</dl>")[0]

    assert facts(body) == facts(seen)


def test_it_says_when_there_is_no_coach(world, client_for):
    body = client_for(world.groupmate).get(f"/cohorts/{world.cohort.pk}/coach/").content.decode()
    assert "You have no coach in this cohort." in body


def test_it_links_the_coach_from_the_home_page(world, client_for):
    body = client_for(world.participant).get("/").content.decode()
    assert f"Your coach: {world.coach.name}" in body
