"""The cost guard: one reply at a time, a request rate, daily budgets, /usage."""

from __future__ import annotations

import asyncio
import re

from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL, command, usage_of

LONG = " ".join(f"w{i}" for i in range(200))


async def test_a_second_request_while_one_streams_is_refused_without_a_model_call(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text=LONG, rate=50)
        await h.mention("first")
        await h.discord.wait_for(lambda f: f.bot_messages(), timeout=10)
        second = await h.mention("second, too soon")
        await h.wait_finished(1)
    assert [r.prompt for r in h.model.requests] == ["first"]
    [refusal] = h.replies_to(second)
    assert refusal.content.startswith("I'm still answering you.")


async def test_the_request_rate_is_limited_and_the_refusal_says_when_to_retry(make_harness):
    async with make_harness(user_requests=2, user_window=60.0) as h:
        h.model.default = Script(text="ok")
        for i in range(2):
            await h.mention(f"q{i}")
            await h.wait_finished(i + 1)
        third = await h.mention("q2")
        await asyncio.sleep(0.5)
        answer = await command(h, CHANNEL, "chat", {"prompt": "via chat"})
    assert len(h.model.requests) == 2
    [refusal] = h.replies_to(third)
    assert re.fullmatch(
        r"You've asked 2 times in the last 1 min; you can ask again in (\d+ s|1 min)\.",
        refusal.content,
    )
    assert answer.startswith("You've asked 2 times")


async def test_a_daily_budget_refuses_once_spent_and_usage_adds_up(make_harness):
    async with make_harness(user_daily_tokens=50, server_daily_tokens=10_000) as h:
        h.model.queue(
            Script(text="one two three", usage={"input_tokens": 30, "output_tokens": 25}),
            Script(text="four", usage={"input_tokens": 10, "output_tokens": 5}),
        )
        await h.mention("first question")
        await h.wait_finished(1)
        await h.mention("second question", author_id=5)  # someone else: their own budget
        await h.wait_finished(2)
        await asyncio.sleep(0.3)  # usage is recorded just after the reply
        over = await h.mention("one more")
        await asyncio.sleep(0.5)
        usage = await command(h, CHANNEL, "usage", {})
    assert len(h.model.requests) == 2  # the third never reached the model
    [refusal] = h.replies_to(over)
    assert re.fullmatch(
        r"You've used your 50 tokens for today\. The budget resets at 00:00 UTC, in "
        r"\d+ (h \d+ min|min( \d+ s)?|s)\.",
        refusal.content,
    )
    spent = [usage_of(stream) for stream in h.model.streams]
    assert [(u["input_tokens"], u["output_tokens"]) for u in spent] == [(30, 25), (10, 5)]
    assert "**Your usage today (UTC)**\n- 55 tokens (30 in, 25 out) in 1 replies" in usage
    assert "- daily budget: 50 tokens" in usage
    assert "**This server today**\n- 70 tokens (40 in, 30 out) in 2 replies of 10,000" in usage
    assert "**Top users today**\n1. <@42>: 55 tokens" in usage
