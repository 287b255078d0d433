"""The demo tells a believable story: two months after its workshop, the coaching cohort's
retention curve falls from right after the workshop and then steadies well above zero."""

from accounts.models import User
from cohorts.models import Cohort
from insights.forgetting import ForgettingFit, PowerLawFit
from socialtraining import clock


def test_it_fits_a_falling_then_steady_curve_to_the_coaching_cohort(demo, client_for):
    cohort = Cohort.objects.get(name="Coaching conversations")
    manager = User.objects.get(email="manager@demo.test")
    response = client_for(manager).get(f"/cohorts/{cohort.pk}/insights/")
    assert response.status_code == 200
    metrics = response.context["metrics"]
    # The curve the page draws: the exponential or the power law, whichever fits better (the
    # cohort measures the lift, so each objective's sparks reach half of it and the early spark
    # answers are few).
    fit = metrics.knowledge.fit
    assert isinstance(fit, ForgettingFit | PowerLawFit)
    # What stays is well above zero and below what was known right after the workshop.
    assert 40 <= fit.floor <= fit.s0 - 15
    assert fit.score_at(60) < fit.score_at(7) < fit.score_at(0)
    weeks = metrics.knowledge.weeks
    right_after, latest = weeks[min(weeks)].percent, weeks[max(weeks)].percent
    assert right_after - latest >= 15
    assert metrics.knowledge.baseline.percent < latest
    assert (clock.now() - metrics.workshop_end).days >= 55
    if isinstance(fit, ForgettingFit):
        assert 1 <= fit.half_life_days <= 60
        assert f"half-life of {fit.half_life_days:.0f} days" in response.content.decode()
    else:
        assert "Scores fall fast at first, then ever more slowly" in response.content.decode()
