"""Activity of every kind in the world's cohort, and a small fake LRS served over real HTTP."""

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from discussions import posting, reactions
from discussions.models import PostKind, ReactionKind
from socialtraining import clock
from sparks import answering
from sparks.models import Delivery, Spark, SparkChoice, SparkKind
from surveys.models import Purpose, Response, ResponseStatus, Round, RoundStatus, Survey


def _round(cohort, *, purpose=Purpose.REACTION, anonymous=False, label="Right after"):
    now = clock.now()
    survey = Survey.objects.create(
        cohort=cohort, title="Feedback check", purpose=purpose, anonymous=anonymous
    )
    return Round.objects.create(
        survey=survey,
        cohort=cohort,
        label=label,
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=5),
        status=RoundStatus.OPEN,
    )


def _submitted(round_, person, **fields):
    now = clock.now()
    return Response.objects.create(
        round=round_,
        participant=person,
        status=ResponseStatus.SUBMITTED,
        submitted_at=now - timedelta(hours=1),
        **fields,
    )


@pytest.fixture
def activity(world):
    """One row of each kind of activity, made through the services where they exist."""
    w = world
    article = posting.thread_start(
        cohort=w.cohort,
        study_group=None,
        author=w.instructor,
        kind=PostKind.ARTICLE,
        title="Radical candour, in short",
        body="Worth ten minutes before Thursday.",
        url="https://example.org/radical-candour",
        idempotency_key="article",
    )
    question = posting.thread_start(
        cohort=w.cohort,
        study_group=w.group,
        author=w.participant,
        kind=PostKind.QUESTION,
        title="How do you open a hard conversation?",
        body="I always freeze at the start.",
        idempotency_key="question",
    )
    reply = posting.post_reply(
        thread=question, author=w.groupmate, body="Name the behaviour first.", idempotency_key="r"
    )
    comment = posting.post_reply(
        thread=question,
        author=w.participant,
        parent=reply,
        body="Thanks, trying it today.",
        idempotency_key="c",
    )
    reactions.reaction_set(post=reply, user=w.participant, kind=ReactionKind.LEARNED, on=True)

    knowledge = Spark.objects.create(
        cohort=w.cohort,
        kind=SparkKind.KNOWLEDGE,
        question="What does the B in SBI stand for?",
        ask_confidence=True,
        offset_days=2,
        created_by=w.instructor,
    )
    right, wrong = (
        SparkChoice.objects.create(spark=knowledge, position=n, text=text, is_correct=correct)
        for n, (text, correct) in enumerate([("Behaviour", True), ("Belief", False)])
    )
    open_spark = Spark.objects.create(
        cohort=w.cohort, question="What did you try this week?", offset_days=14
    )
    sent = clock.now() - timedelta(hours=3)
    knowledge_answer = answering.spark_answer(
        delivery=Delivery.objects.create(
            spark=knowledge, participant=w.participant, sent_at=sent, due_at=sent
        ),
        choice_ids=[right.pk],
        confidence=4,
    )
    open_answer = answering.spark_answer(
        delivery=Delivery.objects.create(
            spark=open_spark, participant=w.groupmate, sent_at=sent, due_at=sent
        ),
        text="I asked before giving feedback.",
    )

    knowledge_round = _round(w.cohort, purpose=Purpose.KNOWLEDGE, label="+30 days")
    scored = _submitted(knowledge_round, w.participant, score=3, max_score=4)
    reaction_round = _round(w.cohort)
    unscored = _submitted(reaction_round, w.groupmate)
    draft = Response.objects.create(round=reaction_round, participant=w.participant)
    anonymous = _submitted(_round(w.cohort, anonymous=True), w.participant)
    return SimpleNamespace(
        article=article,
        question=question,
        reply=reply,
        comment=comment,
        knowledge_spark=knowledge,
        right=right,
        wrong=wrong,
        knowledge_answer=knowledge_answer,
        open_answer=open_answer,
        scored=scored,
        unscored=unscored,
        draft=draft,
        anonymous=anonymous,
    )


@dataclass
class FakeLrs:
    """Stores statements by id, as an LRS does.

    `fail_with` statuses answer the next requests in turn (200 lets one through);
    `always_fail_with` answers every request after those.
    """

    username: str = "lrs-key"
    secret: str = "lrs-secret"
    url: str = ""
    requests: list = field(default_factory=list)
    stored: dict = field(default_factory=dict)
    received: list = field(default_factory=list)
    fail_with: list = field(default_factory=list)
    always_fail_with: int | None = None
    # Answer refusals as an HTML page, as a server that is not an LRS would.
    fail_as_html: bool = False


def _handler(lrs: FakeLrs):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            headers = {name.lower(): value for name, value in self.headers.items()}
            lrs.requests.append({"path": self.path, "headers": headers, "body": body})
            status = lrs.fail_with.pop(0) if lrs.fail_with else lrs.always_fail_with
            # 200 in `fail_with` lets that request through, to fail a later one.
            if status and status != 200 and lrs.fail_as_html:
                page = b"<html>internal admin console</html>"
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return None
            if status and status != 200:
                return self._answer(status, {"error": f"told to fail with {status}"})
            if self.path != "/xapi/statements":
                return self._answer(404, {"error": "no such resource"})
            if self.headers.get("X-Experience-API-Version") != "1.0.3":
                return self._answer(400, {"error": "missing version header"})

            expected = base64.b64encode(f"{lrs.username}:{lrs.secret}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                return self._answer(401, {"error": "bad credentials"})
            for statement in body:
                lrs.received.append(statement["id"])
                # An LRS keeps the first statement with an id and changes nothing for a repeat.
                lrs.stored.setdefault(statement["id"], statement)
            return self._answer(200, [statement["id"] for statement in body])

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def fake_lrs():
    lrs = FakeLrs()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(lrs))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    lrs.url = f"http://127.0.0.1:{server.server_address[1]}/xapi"
    yield lrs
    server.shutdown()
    server.server_close()
