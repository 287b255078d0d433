"""Built-in survey starters: ready-made question sets an instructor copies and then adapts.

They live in code, not in the database, so every organisation gets the same tested wording and a
change here never alters a survey that was already created from it. ("Starters", not "templates",
so they are not mistaken for Django templates.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from surveys.models import Purpose, QuestionKind


@dataclass(frozen=True)
class StarterQuestion:
    kind: str
    text: str
    help_text: str = ""
    required: bool = True
    # (text, is_correct) pairs; "correct" only means something for knowledge questions.
    choices: tuple[tuple[str, bool], ...] = ()
    multiple_correct: bool = False
    ask_confidence: bool = False
    explanation: str = ""
    objective: str = ""


@dataclass(frozen=True)
class Starter:
    key: str
    title: str
    purpose: str
    description: str
    intro: str = ""
    questions: tuple[StarterQuestion, ...] = field(default_factory=tuple)


REACTION = Starter(
    key="reaction",
    title="How was the workshop?",
    purpose=Purpose.REACTION,
    description="Satisfaction and relevance (1 to 5), Net Promoter Score and one open question.",
    intro="Four short questions about the workshop. It takes about two minutes.",
    questions=(
        StarterQuestion(QuestionKind.LIKERT, "Overall, I was satisfied with the workshop."),
        StarterQuestion(QuestionKind.LIKERT, "What I learned is relevant to my work."),
        StarterQuestion(
            QuestionKind.NPS, "How likely are you to recommend this workshop to a colleague?"
        ),
        StarterQuestion(
            QuestionKind.TEXT,
            "What will you do differently?",
            help_text="One or two concrete things you will try in the coming weeks.",
            required=False,
        ),
    ),
)

KNOWLEDGE = Starter(
    key="knowledge",
    title="Knowledge check",
    purpose=Purpose.KNOWLEDGE,
    description=(
        "Two example knowledge questions with choices, a correct answer, an explanation and "
        "“how sure are you?”. Replace them with your own."
    ),
    intro="A few questions on what we covered. Your score is shown when you submit.",
    questions=(
        StarterQuestion(
            QuestionKind.KNOWLEDGE,
            "Example question: replace with your own. Which of these is the correct answer?",
            choices=(
                ("Example correct answer", True),
                ("Example wrong answer", False),
                ("Another example wrong answer", False),
            ),
            ask_confidence=True,
            explanation="Example explanation: say why the correct answer is correct.",
            objective="Example learning objective",
        ),
        StarterQuestion(
            QuestionKind.KNOWLEDGE,
            "Example question with several correct answers: replace with your own.",
            choices=(
                ("Example correct answer", True),
                ("Another example correct answer", True),
                ("Example wrong answer", False),
            ),
            multiple_correct=True,
            ask_confidence=True,
            explanation="Example explanation: say why these answers are correct.",
            objective="Example learning objective",
        ),
    ),
)

BEHAVIOUR = Starter(
    key="behaviour",
    title="What have you applied?",
    purpose=Purpose.BEHAVIOUR,
    description="Which practices people have applied since the workshop, how often, and how.",
    intro="A few weeks on: what from the workshop has made it into your work?",
    questions=(
        StarterQuestion(
            QuestionKind.MULTIPLE,
            "What have you applied since the workshop?",
            help_text="Edit these practices to match your workshop.",
            choices=(
                ("Example practice one", False),
                ("Example practice two", False),
                ("Example practice three", False),
                ("None of these yet", False),
            ),
        ),
        StarterQuestion(
            QuestionKind.LIKERT,
            "I use what I learned in the workshop regularly in my work.",
        ),
        StarterQuestion(
            QuestionKind.TEXT,
            "Tell us about one time you applied it. What happened?",
            required=False,
        ),
    ),
)

STARTERS: dict[str, Starter] = {s.key: s for s in (REACTION, KNOWLEDGE, BEHAVIOUR)}


def _example_texts() -> frozenset[str]:
    texts = set()
    for starter in STARTERS.values():
        for q in starter.questions:
            texts.update([q.text, q.explanation, q.objective, *(text for text, _ in q.choices)])
    return frozenset(text for text in texts if text.startswith("Example"))


# The starters' example wording ("Example question: replace with your own…"): a round cannot
# put a survey that still holds any of it before participants.
EXAMPLE_TEXTS = _example_texts()
