"""What the demo cohorts talk about: each cohort's threads, replies and scheduled prompts, as data
(`demo.conversations` writes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from cohorts.timeline import Anchor
from discussions.models import PostKind, Target


@dataclass(frozen=True)
class ThreadPlan:
    """One thread; `days` is when it opened, relative to the cohort's first session.

    Every thread opens in the past: the demo's cohorts have their first session 10 days ahead,
    3 days ago and 60 days ago.
    """

    kind: str
    title: str
    body: str
    days: float
    replies: tuple[str, ...] = ()
    # (index of the reply, comment text) pairs: one level of comments under replies.
    comments: tuple[tuple[int, str], ...] = ()
    url: str = ""
    quote: str = ""
    # An instructor's prompt, or a participant's own post.
    prompt: bool = True
    in_groups: bool = False
    post_first: bool = False
    pinned: bool = False


@dataclass(frozen=True)
class ScheduledPlan:
    """A prompt still to come, shown on the instructors' timeline."""

    kind: str
    title: str
    body: str
    anchor: str
    offset_days: int
    release_time: time = time(9, 0)
    url: str = ""
    target: str = Target.COHORT


FEEDBACK_THREADS = (
    ThreadPlan(
        kind=PostKind.ARTICLE,
        title="The Feedback Fallacy",
        url="https://hbr.org/2019/03/the-feedback-fallacy",
        quote="Telling people what we think of their performance doesn't help them thrive.",
        body=(
            "A provocative start: Buckingham and Goodall argue that most feedback does more harm "
            "than good. Read it before Morning 1 and notice where you **disagree**: we will use "
            "your objections in the first exercise."
        ),
        days=-14.5,
        pinned=True,
        replies=(
            "I disagree with the headline but agree with the detail. Telling someone *what "
            "worked* is the part we skip.",
            "The bit about us being unreliable raters of others hit home. I rate people on how "
            "they'd do it *my* way.",
            "Worth reading with the CCL piece on intent vs impact, they answer each other.",
        ),
        comments=((0, "Same here. Positive feedback is usually a vague 'great job'."),),
    ),
    ThreadPlan(
        kind=PostKind.ARTICLE,
        title="Closing the gap between intent and impact (SBI)",
        url=(
            "https://www.ccl.org/articles/leading-effectively-articles/"
            "closing-the-gap-between-intent-vs-impact-sbii/"
        ),
        body=(
            "The Situation-Behaviour-Impact model we will practise. Try writing one piece of "
            "feedback in SBI form before class and bring it along."
        ),
        days=-13.5,
        pinned=True,
        replies=(
            "Situation: Monday's client call. Behaviour: you summarised the open points before "
            "we hung up. Impact: nobody left confused about next steps. Thank you!",
            "SBI feels stiff when I say it out loud. Does it get more natural?",
        ),
        comments=((1, "It does. After a few goes you stop hearing the scaffolding."),),
    ),
    ThreadPlan(
        kind=PostKind.QUESTION,
        title="What stopped you from giving the feedback you wish you had given?",
        body=(
            "Think of one piece of feedback you wish you had given differently, or at all. "
            "What stopped you at the time? You will see the others' answers once you post yours."
        ),
        days=-12,
        post_first=True,
        replies=(
            "Fear of damaging a relationship with a peer I depend on every day.",
            "I waited for the 'right moment' and it never came. Two months later it felt too "
            "late to raise it.",
            "Honestly? I wasn't sure I was right, and I didn't want to be the one who got it "
            "wrong in front of the team.",
            "My manager gives feedback only in annual reviews, so I never saw it done well.",
            "I thought it would sound petty: it was about tone in emails.",
            "Time. Every one-to-one got eaten by status updates.",
        ),
    ),
    ThreadPlan(
        kind=PostKind.QUESTION,
        title="Is it ever OK to give feedback over chat?",
        body=(
            "Half my team is remote and most of our conversation happens in chat. Is written "
            "feedback always worse than a call?"
        ),
        days=-10.5,
        prompt=False,
        replies=(
            "Praise in chat is fine, even good: it's public and specific. Criticism I'd keep "
            "for a call.",
            "Written can be *better* for some people: they get time to think before reacting.",
            "I ask first: 'Got a minute for some feedback on the release notes? Chat or call?'",
        ),
        comments=((2, "Asking first is such a simple habit. Stealing it."),),
    ),
)


FEEDBACK_SCHEDULED = (
    ScheduledPlan(
        kind=PostKind.DISCUSSION,
        title="Bring one real case to Morning 2",
        body=(
            "Write two lines about a feedback conversation coming up at work. In Morning 2 we "
            "practise on real cases, anonymised."
        ),
        anchor=Anchor.BEFORE_FIRST,
        offset_days=2,
    ),
    ScheduledPlan(
        kind=PostKind.QUESTION,
        title="Which conversation did you have differently this week?",
        body="Three days on: where did you use SBI, and what happened?",
        anchor=Anchor.AFTER_LAST,
        offset_days=3,
        release_time=time(10, 0),
    ),
)


HYBRID_THREADS = (
    ThreadPlan(
        kind=PostKind.ARTICLE,
        title="GitLab's guide to all-remote work",
        url="https://handbook.gitlab.com/handbook/company/culture/all-remote/guide/",
        body=(
            "A long read: skim the sections on *handbook-first* and *asynchronous* work. Which "
            "one idea would survive contact with your team?"
        ),
        days=-9,
        replies=(
            "Handbook-first would never fly here, but 'write the decision down where people "
            "will look for it' might.",
            "The async section made me realise how many meetings are just people reading "
            "slides to each other.",
            "Interesting that they treat the office as the exception, not the remote people.",
            "Our equivalent is a wiki nobody updates. Any tips on keeping it alive?",
        ),
        comments=(
            (3, "Make one person the owner of each page, and review it in retros."),
            (3, "We link every decision from the meeting notes to the page. Helps a lot."),
        ),
    ),
    ThreadPlan(
        kind=PostKind.QUESTION,
        title="Which team ritual will you change first, and how will you know it worked?",
        body=(
            "You have the workshop fresh in mind. Pick **one** ritual (stand-up, planning, "
            "retro, one-to-ones…) and say what you'll change and what evidence would tell you "
            "it worked."
        ),
        days=1.2,
        pinned=True,
        replies=(
            "Stand-up goes written, in a thread, by 10:00 each day. Evidence: fewer 'quick "
            "calls' to ask what someone is doing.",
            "Retros: the remote people speak first. I'll count who talks, honestly.",
            "One-to-ones stay on video but move to the first day of the week so problems "
            "surface early.",
            "Planning: every item gets an owner *and* a written definition of done before we "
            "leave the call.",
            "I'll stop the 'meeting after the meeting' in the office corridor. Hard to "
            "measure, but the remote folk will tell me.",
            "Decisions log in the team channel, pinned. Success = nobody asks 'when did we "
            "decide that?' for a month.",
            "Camera-optional Fridays. Evidence: people stop apologising for being off camera.",
        ),
        comments=(
            (0, "We tried this last year. Works if the lead reads them every day."),
            (1, "Counting who talks is brave. Share the numbers in the group?"),
        ),
    ),
    ThreadPlan(
        kind=PostKind.QUESTION,
        title="Agree your group's first experiment",
        body=(
            "As a study group: agree on one practice each of you will try for the next two "
            "weeks. Post what you chose and how you'll report back."
        ),
        days=1.4,
        in_groups=True,
        post_first=True,
        replies=(
            "I'll try written stand-ups with my team of six.",
            "Decision log for me. Reporting back with a screenshot (names blurred).",
            "Remote-first retros. I'll share who spoke and for how long.",
            "Let's check in here next Thursday?",
        ),
    ),
    ThreadPlan(
        kind=PostKind.ARTICLE,
        title="Group chat: the best way to totally stress out your team",
        url="https://basecamp.com/guides/group-chat-problems",
        body=(
            "Found this after Day 2. It's a bit one-sided, but the point about chat feeling "
            "like being in an all-day meeting with random participants is spot on."
        ),
        days=1.3,
        prompt=False,
        replies=(
            "'Real-time sometimes, asynchronous most of the time.' Printing that.",
            "We turned off the 'online' indicator last month. Less pressure, same output.",
            "Good read, thanks for sharing!",
        ),
    ),
)


HYBRID_SCHEDULED = (
    ScheduledPlan(
        kind=PostKind.QUESTION,
        title="Two weeks in: how did your group's experiment go?",
        body="What did you try, what happened, and what will you keep?",
        anchor=Anchor.AFTER_LAST,
        offset_days=14,
        target=Target.GROUPS,
    ),
)


# The reply a participant flags in the hybrid cohort: off-topic, and a little pushy.
FLAGGED_REPLY = (
    "Forget rituals, just buy everyone the TeamSync Pro licence. DM me for a discount code!"
)


FLAG_REASON = "Advertising, not part of the discussion."
COACHING_THREADS = (
    ThreadPlan(
        kind=PostKind.ARTICLE,
        title="The GROW model in one page",
        url="https://en.wikipedia.org/wiki/GROW_model",
        body="Goal, Reality, Options, Will. Read before the afternoon session.",
        days=-7,
        replies=(
            "Reality is the step I always rush. I jump to options.",
            "Interesting that it came from sports coaching.",
        ),
    ),
    ThreadPlan(
        kind=PostKind.QUESTION,
        title="What is the best open question you asked this week?",
        body="Share the question, and what it opened up. One line is enough.",
        days=7,
        pinned=True,
        replies=(
            "'What would you try if you knew it couldn't fail?' — and then silence for a long "
            "time. Good silence.",
            "'What else?' Three times. The real issue came out the third time.",
            "'What does a good outcome look like for *you*?' My report had never been asked.",
            "'What's in your way?' Simpler than I expected.",
            "I asked 'Why did you do that?' and watched them get defensive. Lesson learned: "
            "'what' beats 'why'.",
        ),
        comments=((4, "Same experience. 'What led you to…' works much better."),),
    ),
    ThreadPlan(
        kind=PostKind.QUESTION,
        title="How do you stop yourself from jumping to advice?",
        body=(
            "Every time someone brings me a problem I have the answer on the tip of my tongue. "
            "How do you hold back?"
        ),
        days=20,
        prompt=False,
        replies=(
            "I count to three in my head before answering. Sounds silly, works.",
            "I ask 'Do you want ideas or a sounding board?' and let them choose.",
            "Write the advice down on paper and keep asking questions. Often they get there.",
        ),
        comments=((1, "That question has saved me so many times."),),
    ),
    ThreadPlan(
        kind=PostKind.DISCUSSION,
        title="Practice trio: one conversation you coached",
        body=(
            "In your study group: describe one coaching conversation from the last two weeks. "
            "Where did GROW help, where did it get in the way?"
        ),
        days=21,
        in_groups=True,
        replies=(
            "Used GROW with a new joiner. Options took 20 minutes; Will took two.",
            "Got stuck in Reality for the whole meeting. Maybe that was what was needed.",
            "I didn't name the steps out loud this time and it felt much more natural.",
        ),
    ),
    ThreadPlan(
        kind=PostKind.QUESTION,
        title="Two months on: what has stuck?",
        body="Which part of the workshop do you still use, and which have you dropped?",
        days=58,
        replies=(
            "Still use 'What else?' daily. Dropped the formal GROW template.",
            "I coach less than I hoped. Planning to block 30 minutes a week for it.",
        ),
    ),
)


COHORT_PLANS = {
    "Giving feedback that lands": (FEEDBACK_THREADS, FEEDBACK_SCHEDULED),
    "Leading hybrid teams": (HYBRID_THREADS, HYBRID_SCHEDULED),
    "Coaching conversations": (COACHING_THREADS, ()),
}
