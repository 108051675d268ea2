"""A mention streams into one message that ends with the exact text and the footer."""

from __future__ import annotations

import itertools
import re

from bot.discord_front import layout as render
from tests.fakes.responses_api import Script, unknown_event, web_search_events
from tests.support.harness import CHANNEL, MODEL

FOOTER_RE = re.compile(
    rf"^-# {MODEL} · first token \d+\.\d\d s · total \d+\.\d\d s · (\d+) tokens · \d+ tok/s$"
)


async def test_mention_streams_progressively_and_ends_with_text_and_footer(make_harness):
    text = " ".join(f"word{i}" for i in range(60)) + "."
    async with make_harness() as h:
        h.model.default = Script(text=text, ttft=0.2, rate=20)  # ~3 s of streaming
        asked = await h.mention("tell me something")
        [record] = await h.wait_finished()
        [reply] = h.replies_to(asked)

    stream = h.model.streams[0]
    assert stream.request.body["input"] == [
        {"role": "user", "content": [{"type": "input_text", "text": "tell me something"}]}
    ]
    assert stream.request.body["store"] is False
    assert "previous_response_id" not in stream.request.body
    assert stream.request.body["model"] == MODEL
    assert stream.request.body["instructions"] == "Default system prompt."
    # Progressive: several versions, each a prefix of the model's text while live.
    versions = [content for _, content in reply.history]
    assert len(versions) >= 3
    for content in versions[:-1]:
        body = content.rsplit("\n-# ", 1)[0]
        assert render.LIVE_INDICATOR in content
        assert text.startswith(body)
    # First text shows as soon as the first delta is out.
    first_delta_at = stream.delta_times[0][0]
    assert reply.history[0][0] - first_delta_at < 0.5
    # Final: exactly the model text, then the footer with the API's token count.
    body, footer = reply.content.rsplit("\n", 1)
    assert body == text
    match = FOOTER_RE.match(footer)
    assert match, footer
    assert int(match.group(1)) == len(stream.delta_times)
    assert render.LIVE_INDICATOR not in reply.content
    # Evenly paced: never two writes to the channel closer than the budget's spacing.
    times = [c.t for c in h.discord.writes(CHANNEL)]
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(times))
    assert h.discord.count_429 == 0
    # The canonical record.
    assert record["status"] == "completed"
    assert record["trigger"] == "mention"
    assert record["channel_id"] == CHANNEL
    assert record["guild_id"] == h.discord.guild_id
    assert record["user_id"] == h.discord.user_id
    assert record["model"] == MODEL
    assert record["response_id"] == stream.response_id
    assert record["output_tokens"] == len(stream.delta_times)
    assert record["writes"] == len(versions)
    assert record["messages"] == 1
    assert record["rate_limited"] == 0
    assert record["characters"] == len(text)
    assert record["first_token_s"] > 0
    assert record["total_s"] >= record["first_token_s"]
    assert "prompt" not in record
    assert "reply" not in record


async def test_mention_without_text_gets_usage_hint_and_no_api_call(make_harness):
    async with make_harness() as h:
        asked = await h.mention("")
        await h.discord.wait_for(lambda f: any(m.reference_id == asked for m in f.bot_messages()))
        [hint] = h.replies_to(asked)
    assert "/chat" in hint.content
    assert h.model.requests == []


async def test_messages_from_bots_and_without_mention_are_ignored(make_harness):
    async with make_harness() as h:
        await h.discord.inject_message(CHANNEL, "hello", mention_bot=False)
        await h.discord.inject_message(CHANNEL, "hi bot", author_id=777, author_bot=True)
        # A real mention afterwards proves the earlier ones were processed and ignored.
        asked = await h.mention("real question")
        await h.wait_finished()
    assert len(h.model.requests) == 1
    assert h.model.requests[0].prompt == "real question"
    assert [m.reference_id for m in h.discord.bot_messages()] == [asked]


async def test_everyone_in_model_output_pings_nobody(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="Hey @everyone and @here and <@42> and <@&1>!", rate=50)
        await h.mention("ping them")
        await h.wait_finished()
    [reply] = h.discord.bot_messages()
    assert "@everyone" in reply.content
    assert reply.mention_everyone is False
    assert reply.mention_ids == []
    assert reply.allowed_mentions
    assert all(am is not None and am.get("parse") == [] for am in reply.allowed_mentions)


async def test_unknown_events_are_ignored_and_status_shown_before_text(make_harness):
    async with make_harness() as h:
        h.model.default = Script(
            text="Answer after searching.",
            ttft=1.5,
            before_text=web_search_events("weather"),
            between={1: [unknown_event(), unknown_event("response.brand_new.thing", x=1)]},
        )
        await h.mention("search something")
        [record] = await h.wait_finished()
    [reply] = h.discord.bot_messages()
    assert "Searching the web" in reply.history[0][1] or "search results" in reply.history[0][1]
    assert reply.content.startswith("Answer after searching.\n-# ")
    assert record["status"] == "completed"


async def test_prompt_and_reply_logged_only_when_configured(make_harness):
    async with make_harness(log_content=True) as h:
        h.model.default = Script(text="secret-free reply")
        await h.mention("what is logged?")
        [record] = await h.wait_finished()
    assert record["prompt"] == "what is logged?"
    assert record["reply"] == "secret-free reply"
