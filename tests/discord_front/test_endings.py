"""Every ending is visible: cut off, failed, interrupted, HTTP errors before any text."""

from __future__ import annotations

import pytest

from bot.discord_front import layout as render
from tests.fakes.responses_api import Script, pause


async def final_reply(h):
    [record] = await h.wait_finished()
    [reply] = h.discord.bot_messages()
    assert render.LIVE_INDICATOR not in reply.content
    return record, reply


async def test_incomplete_reply_shows_its_notice(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="This answer runs out", ending="incomplete")
        await h.mention("long question")
        record, reply = await final_reply(h)
    lines = reply.content.split("\n")
    assert lines[0] == "This answer runs out"
    assert lines[1] == "⚠️ Cut off: it reached the max_output_tokens limit."
    assert lines[2].startswith("-# gpt-test · ")
    assert record["status"] == "incomplete"


async def test_cut_stream_keeps_partial_text_with_an_error(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="Half of the answer", ending="cut", rate=20)
        await h.mention("q")
        record, reply = await final_reply(h)
    assert reply.content.startswith(
        "Half of the answer\n❌ The connection to the model server was lost mid-reply."
    )
    assert record["status"] == "interrupted"


async def test_body_ending_without_terminal_event_is_interrupted(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="Some text", ending="eof")
        await h.mention("q")
        record, reply = await final_reply(h)
    assert reply.content.startswith("Some text\n❌ The model stream ended before")
    assert record["status"] == "interrupted"


async def test_failed_response_keeps_text_and_shows_error(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="Partial", ending="failed", error_message="Overloaded.")
        await h.mention("q")
        record, reply = await final_reply(h)
    assert reply.content.startswith("Partial\n❌ The model failed: Overloaded.")
    assert record["status"] == "failed"


@pytest.mark.parametrize("ending", ["error_flat", "error_nested"])
async def test_error_events_in_both_shapes(make_harness, ending):
    async with make_harness() as h:
        h.model.default = Script(text="Before error", ending=ending, error_message="Bad thing.")
        await h.mention("q")
        record, reply = await final_reply(h)
    assert reply.content.startswith(
        "Before error\n❌ The model server reported an error: Bad thing."
    )
    assert record["status"] == "error"


async def test_500_on_every_attempt_shows_an_error(make_harness):
    async with make_harness() as h:
        h.model.default = Script(http_status=500)
        await h.mention("q")
        record, reply = await final_reply(h)
    assert len(h.model.requests) == 3  # the SDK's two retries
    assert reply.content.startswith("❌ The model server had an error (500). Try again")
    assert record["status"] == "error"
    assert record["first_token_s"] is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "❌ The model server rejected the API key (401)."),
        (
            404,
            (
                "❌ The model server answered 404 for the model `gpt-test`: it does not serve "
                "that model, or OPENAI_BASE_URL does not point at its API (it usually ends in /v1)."
            ),
        ),
        (429, "❌ The model server is rate limiting requests (429)."),
    ],
)
async def test_http_errors_before_text_name_the_cause(make_harness, status, expected):
    async with make_harness() as h:
        h.model.default = Script(http_status=status)
        await h.mention("q")
        _, reply = await final_reply(h)
    assert reply.content.startswith(expected)
    assert "test-key" not in reply.content


async def test_stalled_stream_times_out_visibly(make_harness):
    async with make_harness(openai_timeout=1.0) as h:
        h.model.default = Script(text="Starts then stalls", ttft=0.1, between={2: [pause(5)]})
        await h.mention("q")
        record, reply = await final_reply(h)
    assert reply.content.startswith(
        "Starts then\n❌ The model server stopped answering (timed out)."
    )
    assert record["status"] == "interrupted"


async def test_unreachable_model_server_says_could_not_connect_not_lost(make_harness):
    async with make_harness(openai_base_url="http://127.0.0.1:9/v1") as h:
        await h.mention("q")
        record, reply = await final_reply(h)
    notice, footer = reply.content.splitlines()
    assert notice.startswith("❌ Could not connect to the model server at http://127.0.0.1:9/v1 (")
    assert notice.endswith("Check that it is running and that OPENAI_BASE_URL is right.")
    assert "lost" not in notice
    assert "tokens" not in footer  # nothing was generated: no "~0 tokens"
    assert record["status"] == "error"
    assert record["detail"] == notice.removeprefix("❌ ")
