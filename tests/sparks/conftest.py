import pytest

from sparks.models import Spark, SparkChoice, SparkKind


@pytest.fixture
def knowledge_spark(world):
    spark = Spark.objects.create(
        cohort=world.cohort,
        kind=SparkKind.KNOWLEDGE,
        question="What does the B in SBI stand for?",
        explanation="Situation, Behaviour, Impact: describe what they did, not who they are.",
        ask_confidence=True,
        offset_days=2,
        created_by=world.instructor,
    )
    for n, (text, correct) in enumerate([("Behaviour", True), ("Belief", False)]):
        SparkChoice.objects.create(spark=spark, position=n, text=text, is_correct=correct)
    return spark


@pytest.fixture
def open_spark(world):
    return Spark.objects.create(
        cohort=world.cohort,
        question="How have you used the feedback model this week?",
        offset_days=14,
        created_by=world.instructor,
    )
