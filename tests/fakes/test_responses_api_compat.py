"""Model names, llama.cpp's quirks and client disconnects, checked with the real SDK."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import openai
import pytest
from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseIncompleteEvent,
)

from tests.fakes.responses_api import FakeResponses, Script, split_words
from tests.fakes.test_responses_api import CLOSE, HEAD, KEY, MODEL, OPEN, SDK_MODELS, run, text_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

WORDS = " ".join(f"w{i}" for i in range(30))
DELTA = "response.output_text.delta"


@pytest.fixture
async def fake() -> AsyncIterator[FakeResponses]:
    server = FakeResponses(api_key=KEY)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeResponses) -> AsyncIterator[openai.AsyncOpenAI]:
    c = openai.AsyncOpenAI(base_url=fake.base_url, api_key=KEY, max_retries=2)
    yield c
    await c.close()


def validate_strictly(fake: FakeResponses) -> int:
    checked = 0
    for rec in fake.streams:
        for data in rec.events:
            SDK_MODELS[data["type"]].model_validate(data, strict=True)
            checked += 1
    return checked


# ------------------------------------------------------------------ model names


async def test_served_model_replaces_the_requested_name(fake, client):
    fake.models = ["smollm2-135m-instruct"]
    fake.queue(Script(text="hi", served_model="smollm2-135m-instruct"))
    events, exc = await run(client, model="smol")
    assert exc is None
    by_type = {e.type: e for e in events}
    for kind in ("response.created", "response.in_progress", "response.completed"):
        assert by_type[kind].response.model == "smollm2-135m-instruct"
    rec = fake.streams[0]
    assert (rec.model, rec.response_model) == ("smol", "smollm2-135m-instruct")
    assert fake.requests[0].model == "smol"
    assert [m.id async for m in client.models.list()] == ["smollm2-135m-instruct"]
    assert validate_strictly(fake) == len(events)


async def test_model_missing_from_created_but_present_in_completed(fake, client):
    fake.queue(Script(text="hi", model_in_created=False))
    events, exc = await run(client)
    assert exc is None
    assert isinstance(events[0], ResponseCreatedEvent)
    assert events[0].response.model == ""
    assert events[1].response.model == ""
    assert isinstance(events[-1], ResponseCompletedEvent)
    assert events[-1].response.model == MODEL
    assert validate_strictly(fake) == len(events)  # "" is a valid model string


# ------------------------------------------------------------------ max_output_tokens


async def test_cut_at_max_tokens_is_incomplete_like_openai(fake, client):
    fake.queue(Script(text=WORDS, cut_at_max_tokens=True))
    events, exc = await run(client, max_output_tokens=16)
    assert exc is None
    assert [e.type for e in events].count(DELTA) == 16
    assert text_of(events) == "".join(split_words(WORDS)[:16])
    last = events[-1]
    assert isinstance(last, ResponseIncompleteEvent)
    assert last.response.incomplete_details.reason == "max_output_tokens"
    assert last.response.usage.output_tokens == 16
    assert last.response.max_output_tokens == 16
    assert fake.streams[0].ended_how == "incomplete"
    assert validate_strictly(fake) == len(events)


async def test_cut_at_max_tokens_as_completed_like_llama_cpp(fake, client):
    fake.queue(
        Script(text=WORDS, cut_at_max_tokens_as_completed=True),
        Script(text="short reply", cut_at_max_tokens_as_completed=True),
    )
    events, exc = await run(client, max_output_tokens=20)
    assert exc is None
    assert [e.type for e in events] == [*HEAD, *OPEN, *[DELTA] * 20, *CLOSE, "response.completed"]
    done = events[-1].response
    assert (done.status, done.incomplete_details) == ("completed", None)
    assert done.usage.output_tokens == 20 == done.max_output_tokens  # the only hint
    assert fake.streams[0].ended_how == "completed"
    events, _ = await run(client, max_output_tokens=20)  # shorter than the limit: not cut
    assert text_of(events) == "short reply"
    assert events[-1].response.usage.output_tokens == 2
    assert validate_strictly(fake) == len(fake.streams[0].events) + len(events)


async def test_without_a_cut_knob_max_output_tokens_is_only_echoed(fake, client):
    fake.queue(Script(text=WORDS))
    events, _ = await run(client, max_output_tokens=16)
    assert [e.type for e in events].count(DELTA) == 30
    assert events[-1].type == "response.completed"


# ------------------------------------------------------------------ llama.cpp quirks


async def test_repeated_created_and_missing_sequence_numbers_are_parsed(fake, client):
    fake.queue(Script(text="one two three four", repeat_created_after=2, sequence_numbers=False))
    events, exc = await run(client)
    assert exc is None  # nothing raises
    types = [e.type for e in events]
    assert types == [
        *HEAD,
        *OPEN,
        DELTA,
        DELTA,
        "response.created",
        DELTA,
        DELTA,
        *CLOSE,
        "response.completed",
    ]
    again = events[types.index("response.created", 1)]
    assert isinstance(again, ResponseCreatedEvent)
    assert again.response.id == events[0].response.id
    assert all(e.sequence_number is None for e in events)  # yielded without validation
    assert all("sequence_number" not in data for data in fake.streams[0].events)
    assert text_of(events) == "one two three four"


async def test_repeated_created_with_sequence_numbers_validates(fake, client):
    fake.queue(Script(text="a b c", repeat_created_after=1))
    events, _ = await run(client)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert [e.type for e in events].count("response.created") == 2
    assert validate_strictly(fake) == len(events)


async def test_llama_cpp_stream_shapes(fake, client):
    fake.queue(Script(text=WORDS, llama_cpp=True, ttft=0.2, served_model="smollm2"))
    t0 = time.monotonic()
    stream = await client.responses.create(
        model=MODEL, input="hi there", stream=True, max_output_tokens=5
    )
    seen = [(time.monotonic(), event) async for event in stream]
    events = [e for _, e in seen]
    # max_output_tokens=5 is fine (no minimum), the cut ends "completed".
    assert [e.type for e in events] == [*HEAD, *OPEN, *[DELTA] * 5, *CLOSE, "response.completed"]
    assert seen[0][0] - t0 >= 0.2  # created arrives with the first token, after ttft
    created = events[0].response
    assert created.id == fake.streams[0].response_id
    assert (created.status, created.model, created.output, created.created_at) == (
        "in_progress",
        None,
        None,
        None,
    )
    with pytest.raises(TypeError):
        _ = created.output_text  # the SDK's helper iterates a missing output
    for event in events:
        assert event.sequence_number is None
    for event in events[2:-1]:
        assert event.output_index is None
        if event.type.startswith("response.output_item."):
            assert event.item.id.startswith("msg_")
        else:
            assert event.item_id.startswith("msg_")
    deltas = [e for e in events if e.type == DELTA]
    assert all(e.content_index is None and e.logprobs is None for e in deltas)
    done = events[-1].response
    assert (done.status, done.model, done.output_text) == (
        "completed",
        "smollm2",
        "w0 w1 w2 w3 w4 ",
    )
    assert (done.usage.input_tokens, done.usage.output_tokens, done.usage.total_tokens) == (
        2,
        5,
        7,
    )
    assert done.usage.input_tokens_details is None
    assert done.usage.output_tokens_details is None
    assert done.incomplete_details is None
    assert set(fake.streams[0].events[-1]["response"]) == {
        "id",
        "object",
        "created_at",
        "status",
        "model",
        "output",
        "usage",
    }


def test_script_knobs_are_checked():
    with pytest.raises(ValueError, match="exclude"):
        Script(cut_at_max_tokens=True, cut_at_max_tokens_as_completed=True)
    with pytest.raises(ValueError, match="repeat_created_after"):
        Script(repeat_created_after=0)
    with pytest.raises(ValueError, match="refusal"):
        Script(llama_cpp=True, refusal="no")
    preset = Script(llama_cpp=True)
    assert (preset.sequence_numbers, preset.cut_at_max_tokens_as_completed) == (False, True)
    mixed = Script(llama_cpp=True, sequence_numbers=True, cut_at_max_tokens=True)
    assert (mixed.sequence_numbers, mixed.cut_at_max_tokens_as_completed) == (True, False)
    assert (Script().sequence_numbers, Script().cut_at_max_tokens_as_completed) == (True, False)


# ------------------------------------------------------------------ disconnects


async def test_client_close_mid_stream_is_recorded_promptly(fake, client):
    fake.queue(Script(text=WORDS, rate=10))  # 100 ms between deltas: the server is pacing
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    deltas = 0
    async for event in stream:
        deltas += event.type == DELTA
        if deltas == 3:
            break
    closed_at = time.monotonic()
    await stream.close()
    rec = await fake.wait_closed(0, timeout=1)
    assert rec is fake.streams[0]
    assert (rec.ended_how, rec.closed_by_client) == ("client_closed", True)
    assert rec.ended is not None
    assert rec.ended - closed_at < 0.2
    assert 3 <= len(rec.delta_times) < 30


async def test_client_close_during_ttft_is_recorded_promptly(fake, client):
    fake.queue(Script(ttft=5.0))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    await anext(aiter(stream))
    record = fake.streams[0]
    closed_at = time.monotonic()
    await stream.close()
    rec = await fake.wait_closed(record, timeout=1)
    assert rec is record
    assert rec.ended is not None
    assert rec.ended - closed_at < 0.2


async def test_wait_closed_fails_for_streams_not_closed_by_the_client(fake, client):
    await run(client)
    with pytest.raises(AssertionError, match="'completed', not closed by the client"):
        await fake.wait_closed(timeout=1)
    fake.queue(Script(ttft=5.0))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    await anext(aiter(stream))
    with pytest.raises(TimeoutError):
        await fake.wait_closed(-1, timeout=0.05)
    with pytest.raises(TimeoutError):
        await fake.wait_closed(5, timeout=0.05)  # no such stream (yet)
    await stream.close()
    await fake.wait_closed(-1, timeout=1)


async def test_concurrent_close_only_marks_the_closed_stream(fake, client):
    fake.route(lambda body: Script(text=WORDS, rate=20) if body["input"] == "slow" else None)
    fake.queue(Script(text="quick answer"))
    stream = await client.responses.create(model=MODEL, input="slow", stream=True)
    await anext(aiter(stream))
    (events, exc), _ = await asyncio.gather(run(client, "fast"), stream.close())
    assert exc is None
    assert text_of(events) == "quick answer"
    slow = await fake.wait_closed(0, timeout=1)
    assert slow.request.prompt == "slow"
    fast = await fake.wait_ended(1)
    assert (fast.ended_how, fast.closed_by_client) == ("completed", False)
