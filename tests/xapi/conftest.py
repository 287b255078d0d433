import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from discussions import services as discussions
from sparks import services as sparks
from sparks.models import Delivery, Spark, SparkChoice, SparkKind
from surveys.models import Response, ResponseStatus, Survey


def _key() -> str:
    return uuid.uuid4().hex


@dataclass
class Activity:
    article: object
    question: object
    reply: object
    spark_answer: object
    response: object


def thread_start(world, *, kind, title, author=None):
    return discussions.thread_start(
        cohort=world.cohort,
        study_group=None,
        author=author or world.instructor,
        kind=kind,
        title=title,
        body=f"Opening of {title}.",
        url="https://example.com/article" if kind == "article" else "",
        idempotency_key=_key(),
    )


def spark_answered(world, *, participant, cohort=None) -> object:
    spark = Spark.objects.create(
        cohort=cohort or world.cohort,
        kind=SparkKind.KNOWLEDGE,
        question="What does the B in SBI stand for?",
        objective="Give feedback on behaviour",
        ask_confidence=True,
        offset_days=2,
        created_by=world.instructor,
    )
    right = SparkChoice.objects.create(spark=spark, position=0, text="Behaviour", is_correct=True)
    SparkChoice.objects.create(spark=spark, position=1, text="Belief", is_correct=False)
    delivery = Delivery.objects.create(
        spark=spark, participant=participant, due_at=timezone.now(), sent_at=timezone.now()
    )
    return sparks.spark_answer(delivery=delivery, choice_ids=[right.pk], confidence=3)


def response_submitted(world, *, participant, cohort=None) -> Response:
    from surveys import services as surveys

    cohort = cohort or world.cohort
    survey = Survey.objects.create(
        cohort=cohort, title="Feedback check", purpose="knowledge", created_by=world.instructor
    )
    round_ = surveys.round_schedule(
        survey=survey, label="+30 days", anchor="at", opens_at=timezone.now()
    )
    return Response.objects.create(
        round=round_,
        participant=participant,
        status=ResponseStatus.SUBMITTED,
        submitted_at=timezone.now(),
        score=3,
        max_score=4,
    )


@pytest.fixture
def activity(world) -> Activity:
    article = thread_start(world, kind="article", title="Radical candour")
    question = thread_start(world, kind="question", title="How do you say no?")
    reply = discussions.post_reply(
        thread=question, author=world.participant, body="Kindly.", idempotency_key=_key()
    )
    return Activity(
        article=article.posts.get(is_opening=True),
        question=question.posts.get(is_opening=True),
        reply=reply,
        spark_answer=spark_answered(world, participant=world.participant),
        response=response_submitted(world, participant=world.groupmate),
    )


@dataclass
class FakeLrs:
    """A Learning Record Store on 127.0.0.1 that keeps statements by id, as a real one does."""

    url: str = ""
    statements: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    # Status codes to answer with before accepting again, e.g. [503] or [400].
    failures: list = field(default_factory=list)


@pytest.fixture
def fake_lrs():
    lrs = FakeLrs()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            lrs.requests.append(
                {
                    "path": self.path,
                    "version": self.headers["X-Experience-API-Version"],
                    "authorization": self.headers["Authorization"],
                    "count": len(json.loads(body)),
                }
            )
            if lrs.failures:
                self.send_response(lrs.failures.pop(0))
                self.end_headers()
                self.wfile.write(b'{"message": "not now"}')
                return
            for statement in json.loads(body):
                lrs.statements.setdefault(statement["id"], statement)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps([s["id"] for s in json.loads(body)]).encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    lrs.url = f"http://127.0.0.1:{server.server_address[1]}/xapi/"
    yield lrs
    server.shutdown()
    server.server_close()
