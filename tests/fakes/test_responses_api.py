"""The fake Responses server, checked against the real openai SDK (3.52, httpx2)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import TYPE_CHECKING, Any, get_args

import aiohttp
import httpx2
import openai
import pytest
from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseRefusalDeltaEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
)

from tests.fakes.responses_api import (
    FakeResponses,
    Script,
    pause,
    reasoning_summary_events,
    split_words,
    unknown_event,
    web_search_events,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

KEY = "sk-test-fake"
MODEL = "gpt-fake-1"

# type literal -> the SDK's pydantic model for that event
SDK_MODELS: dict[str, Any] = {
    get_args(cls.model_fields["type"].annotation)[0]: cls
    for cls in get_args(get_args(ResponseStreamEvent)[0])
}

HEAD = ["response.created", "response.in_progress"]
OPEN = ["response.output_item.added", "response.content_part.added"]
CLOSE = ["response.output_text.done", "response.content_part.done", "response.output_item.done"]


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


async def run(
    client: openai.AsyncOpenAI, prompt: str = "say hello to the nice people", **kw: Any
) -> tuple[list[Any], BaseException | None]:
    """Create a stream and read it to the end: (events, exception or None)."""
    events: list[Any] = []
    try:
        stream = await client.responses.create(
            model=kw.pop("model", MODEL), input=prompt, stream=True, **kw
        )
        async for event in stream:
            events.append(event)  # noqa: PERF401 - keep the events seen before an exception
    except openai.OpenAIError as exc:
        return events, exc
    return events, None


def text_of(events: list[Any]) -> str:
    return "".join(e.delta for e in events if e.type == "response.output_text.delta")


async def raw_sse(fake: FakeResponses, body: dict[str, Any]) -> tuple[int, str, str]:
    """POST with a plain aiohttp client: (status, content type, body text)."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{fake.base_url}/responses",
            json=body,
            headers={"Authorization": f"Bearer {KEY}"},
        ) as resp,
    ):
        return resp.status, resp.headers["Content-Type"], await resp.text()


# ------------------------------------------------------------------ happy path


async def test_completed_stream_order_text_usage_and_echo(fake, client):
    script = Script(text="The quick brown fox jumps over the lazy dog.")
    fake.queue(script)
    events, exc = await run(
        client,
        "one two three four",
        instructions="Be brief.",
        temperature=0.3,
        top_p=0.9,
        max_output_tokens=50,
    )
    assert exc is None
    n = len(split_words(script.text))
    assert [e.type for e in events] == [
        *HEAD,
        *OPEN,
        *["response.output_text.delta"] * n,
        *CLOSE,
        "response.completed",
    ]
    assert all(isinstance(e, ResponseTextDeltaEvent) for e in events[4 : 4 + n])
    assert text_of(events) == script.text
    assert [e.delta for e in events[4 : 4 + n]][:2] == ["The ", "quick "]
    assert [e.sequence_number for e in events] == list(range(len(events)))

    done = events[-1]
    assert isinstance(done, ResponseCompletedEvent)
    r = done.response
    assert r.id.startswith("resp_")
    assert r.id == events[0].response.id == fake.streams[0].response_id
    assert r.object == "response"
    assert r.status == "completed"
    assert r.model == MODEL
    assert r.instructions == "Be brief."
    assert (r.temperature, r.top_p, r.max_output_tokens) == (0.3, 0.9, 50)
    assert r.output_text == script.text
    assert r.usage is not None
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens) == (4, n, 4 + n)
    assert r.usage.output_tokens_details.reasoning_tokens == 0
    assert r.usage.input_tokens_details.cached_tokens == 0
    assert events[0].response.status == "in_progress"

    req = fake.requests[0]
    assert req.attempt_status == 200
    assert req.body["model"] == MODEL
    assert req.prompt == "one two three four"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    rec = fake.streams[0]
    assert (rec.ended_how, rec.closed_by_client, rec.text) == ("completed", False, script.text)
    assert [length for _, length in rec.delta_times][-1] == len(script.text)


async def test_chunk_deltas_and_usage_override(fake, client):
    fake.queue(
        Script(text="abcdefg", chunk=3),
        Script(text="ignored", deltas=["x", "yz", ""], usage={"output_tokens": 7}),
    )
    events, _ = await run(client)
    assert [e.delta for e in events if e.type.endswith("text.delta")] == ["abc", "def", "g"]
    events, _ = await run(client, "a b")
    assert [e.delta for e in events if e.type.endswith("text.delta")] == ["x", "yz", ""]
    usage = events[-1].response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (2, 7, 9)


async def test_wire_format_is_openai_sse(fake):
    fake.queue(Script(text="Hi there", ending="done_marker"))
    status, ctype, body = await raw_sse(fake, {"model": MODEL, "input": "x", "stream": True})
    assert status == 200
    assert ctype.startswith("text/event-stream")
    blocks = body.split("\n\n")
    assert blocks[-1] == ""
    assert blocks[-2] == "data: [DONE]"
    for n, block in enumerate(blocks[:-2]):
        event_line, data_line = block.split("\n")
        assert event_line.startswith("event: ")
        assert data_line.startswith("data: ")
        data = json.loads(data_line.removeprefix("data: "))
        assert data["type"] == event_line.removeprefix("event: ")
        assert data["sequence_number"] == n


async def test_every_event_validates_against_the_sdk_models(fake, client):
    scripts = [
        Script(),
        Script(ending="incomplete", incomplete_reason="content_filter"),
        Script(ending="failed"),
        Script(ending="error_flat"),
        Script(ending="eof"),
        Script(ending="done_marker"),
        Script(ending="cut"),
        Script(
            refusal="I can't help with that.",
            before_text=[
                *reasoning_summary_events("Thinking it over."),
                *web_search_events("weather", output_index=1),
            ],
        ),
    ]
    fake.queue(*scripts)
    for _ in scripts:
        await run(client)
    checked = 0
    for rec in fake.streams:
        for data in rec.events:
            SDK_MODELS[data["type"]].model_validate(data, strict=True)
            checked += 1
    assert checked > 80
    assert len(fake.streams) == len(scripts)


# ------------------------------------------------------------------ endings


async def test_incomplete(fake, client):
    fake.queue(Script(text="cut short", ending="incomplete", incomplete_reason="max_output_tokens"))
    events, exc = await run(client)
    assert exc is None
    assert [e.type for e in events[-4:]] == [*CLOSE, "response.incomplete"]
    last = events[-1]
    assert isinstance(last, ResponseIncompleteEvent)
    assert last.response.status == "incomplete"
    assert last.response.incomplete_details is not None
    assert last.response.incomplete_details.reason == "max_output_tokens"
    assert last.response.usage is not None
    assert last.response.output[0].status == "incomplete"
    assert text_of(events) == "cut short"
    assert fake.streams[0].ended_how == "incomplete"


async def test_failed(fake, client):
    fake.queue(Script(text="partial", ending="failed", error_message="boom"))
    events, exc = await run(client)
    assert exc is None
    last = events[-1]
    assert isinstance(last, ResponseFailedEvent)
    assert events[-2].type == "response.output_text.delta"  # no done events before failed
    assert last.response.status == "failed"
    assert last.response.error is not None
    assert (last.response.error.code, last.response.error.message) == ("server_error", "boom")
    assert text_of(events) == "partial"


async def test_flat_error_event_is_yielded(fake, client):
    fake.queue(Script(text="some text", ending="error_flat", error_code="rate_limit_exceeded"))
    events, exc = await run(client)
    assert exc is None
    last = events[-1]
    assert isinstance(last, ResponseErrorEvent)
    assert last.type == "error"
    assert (last.code, last.message, last.param) == (
        "rate_limit_exceeded",
        "The model had a problem.",
        None,
    )
    assert text_of(events) == "some text"


async def test_nested_error_event_raises_plain_api_error(fake, client):
    fake.queue(Script(text="some text", ending="error_nested", error_message="nested boom"))
    events, exc = await run(client)
    # The base class itself: not APIStatusError (no status_code), not APIConnectionError.
    assert type(exc) is openai.APIError
    assert exc.message == "nested boom"
    assert exc.body == {
        "type": "server_error",
        "code": "server_error",
        "message": "nested boom",
        "param": None,
    }
    assert (exc.code, exc.type) == ("server_error", "server_error")
    assert not hasattr(exc, "status_code")
    assert text_of(events) == "some text"  # everything before it was yielded


async def test_cut_connection_raises_api_connection_error(fake, client):
    fake.queue(Script(text="one two three", ending="cut"))
    events, exc = await run(client)
    assert type(exc) is openai.APIConnectionError
    assert isinstance(exc.__cause__, httpx2.RemoteProtocolError)
    assert text_of(events) == "one two three"  # the half-written event is never yielded
    assert events[-1].type == "response.output_text.delta"
    rec = fake.streams[0]
    assert (rec.ended_how, rec.closed_by_client) == ("cut", False)
    assert fake.requests[0].headers["x-stainless-retry-count"] == "0"
    assert len(fake.requests) == 1  # streams are not retried once the body has started


async def test_eof_without_terminal_event_just_ends(fake, client):
    fake.queue(Script(text="no ending here", ending="eof"))
    events, exc = await run(client)
    assert exc is None
    assert events[-1].type == "response.output_text.delta"
    assert text_of(events) == "no ending here"
    assert fake.streams[0].ended_how == "eof"


async def test_done_marker_is_harmless(fake, client):
    fake.queue(Script(ending="done_marker"))
    events, exc = await run(client)
    assert exc is None
    assert events[-1].type == "response.completed"
    assert text_of(events) == Script().text


# ------------------------------------------------------------------ HTTP errors


async def test_500_is_retried_twice_then_internal_server_error(fake, client):
    fake.default = Script(http_status=500)
    t0 = time.monotonic()
    _, exc = await run(client)
    assert type(exc) is openai.InternalServerError
    assert exc.status_code == 500
    assert [r.attempt_status for r in fake.requests] == [500, 500, 500]
    assert [r.headers["x-stainless-retry-count"] for r in fake.requests] == ["0", "1", "2"]
    assert time.monotonic() - t0 < 1.0  # retry-after-ms keeps retries fast
    assert fake.streams == []


async def test_500_then_success_streams_on_the_retry(fake, client):
    fake.queue(Script(http_status=500), Script(text="second time lucky"))
    events, exc = await run(client)
    assert exc is None
    assert text_of(events) == "second time lucky"
    assert [r.attempt_status for r in fake.requests] == [500, 200]


async def test_wrong_key_is_401_without_retry(fake):
    async with openai.AsyncOpenAI(base_url=fake.base_url, api_key="wrong", max_retries=2) as c:
        _, exc = await run(c)
    assert type(exc) is openai.AuthenticationError
    assert exc.code == "invalid_api_key"
    assert [r.attempt_status for r in fake.requests] == [401]


async def test_scripted_status_errors(fake, client):
    fake.queue(Script(http_status=401))
    _, exc = await run(client)
    assert type(exc) is openai.AuthenticationError

    fake.queue(Script(http_status=404))
    _, exc = await run(client, model="gpt-nope")
    assert type(exc) is openai.NotFoundError
    assert exc.code == "model_not_found"
    assert "gpt-nope" in exc.message

    fake.queue(*[Script(http_status=429)] * 3)
    _, exc = await run(client)
    assert type(exc) is openai.RateLimitError
    assert exc.code == "rate_limit_exceeded"
    assert [r.attempt_status for r in fake.requests] == [401, 404, 429, 429, 429]
    assert fake.pending == 0


async def test_non_streaming_request_is_400(fake, client):
    with pytest.raises(openai.BadRequestError):
        await client.responses.create(model=MODEL, input="hi")
    assert fake.requests[0].attempt_status == 400


# ------------------------------------------------------------------ timing


async def test_ttft_and_rate_are_honoured(fake, client):
    rate, ttft = 25.0, 0.25
    script = Script(text=" ".join(f"w{i}" for i in range(11)), ttft=ttft, rate=rate)
    fake.queue(script)
    t0 = time.monotonic()
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    seen = [(time.monotonic(), event.type) async for event in stream]
    first_seen = next(t for t, kind in seen if kind == "response.output_text.delta")
    assert first_seen - t0 >= ttft  # the client cannot see text before the server sends it

    rec = fake.streams[0]
    assert rec.ttft is not None
    assert ttft <= rec.ttft < ttft + 0.1
    times = [t for t, _ in rec.delta_times]
    assert len(times) == 11
    for i, t in enumerate(times):  # an absolute schedule: first + i / rate, no drift
        assert i / rate - 0.002 <= t - times[0] <= i / rate + 0.05
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert abs(sum(gaps) / len(gaps) - 1 / rate) < 0.01
    assert [n for _, n in rec.delta_times] == [
        len("".join(split_words(script.text)[: i + 1])) for i in range(11)
    ]


async def test_pause_pseudo_event_delays_without_being_sent(fake, client):
    fake.queue(Script(text="a b", between={1: [pause(0.1)]}))
    events, _ = await run(client)
    assert "__fake_pause__" not in {e.type for e in events}
    (t0, _), (t1, _) = fake.streams[0].delta_times
    assert t1 - t0 >= 0.1


# ------------------------------------------------------------------ client disconnects


async def test_client_close_after_two_events_is_recorded(fake, client):
    fake.queue(Script(text=" ".join(["word"] * 40), rate=20))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    seen = []
    async for event in stream:
        seen.append(event.type)
        if len(seen) == 2:
            break
    closed_at = time.monotonic()
    await stream.close()
    rec = await fake.wait_ended(timeout=2)
    assert seen == HEAD
    assert rec.closed_by_client
    assert rec.ended_how == "client_closed"
    assert rec.ended is not None
    assert rec.ended - closed_at < 0.5
    assert len(rec.delta_times) < 40


async def test_client_close_while_server_waits_for_first_token(fake, client):
    # The server is asleep (ttft) when the client goes: it must notice at once, not at 5 s.
    fake.queue(Script(ttft=5.0))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    first = await anext(aiter(stream))
    assert first.type == "response.created"
    closed_at = time.monotonic()
    await stream.close()
    rec = await fake.wait_ended(timeout=2)
    assert rec.ended is not None
    assert (rec.ended_how, rec.closed_by_client) == ("client_closed", True)
    assert rec.ended - closed_at < 0.5
    assert rec.delta_times == []


async def test_stop_ends_running_streams(fake, client):
    fake.queue(Script(ttft=5.0))
    stream = await client.responses.create(model=MODEL, input="x", stream=True)
    t0 = time.monotonic()
    await fake.stop()
    assert time.monotonic() - t0 < 1.0
    assert fake.streams[0].ended_how == "server_stopped"
    with pytest.raises(openai.APIConnectionError):
        async for _ in stream:
            pass


# ------------------------------------------------------------------ extra event types


async def test_unknown_event_types_are_yielded_not_raised(fake, client):
    fake.queue(
        Script(
            text="alpha beta gamma",
            between={
                1: [unknown_event("response.future_feature.delta", delta="?")],
                99: [{"type": "totally.new", "foo": 1}],  # past the end: after the last delta
            },
        )
    )
    events, exc = await run(client)
    assert exc is None
    types = [e.type for e in events]
    assert types.index("response.future_feature.delta") == 5  # before delta 1
    assert types[8:10] == ["totally.new", "response.output_text.done"]  # after 3 deltas + 1
    unknown = events[types.index("totally.new")]
    # The SDK cannot match the discriminator and constructs the first union member
    # (ResponseAudioDeltaEvent) without validation: isinstance is misleading, .type is not.
    assert type(unknown).__name__ == "ResponseAudioDeltaEvent"
    assert isinstance(unknown, openai.BaseModel)
    assert unknown.foo == 1
    assert unknown.sequence_number == 8
    assert text_of(events) == "alpha beta gamma"
    assert events[-1].type == "response.completed"


async def test_refusal_reasoning_and_web_search(fake, client):
    fake.queue(
        Script(
            refusal="I can't help with that.",
            before_text=[
                *reasoning_summary_events("Considering the request."),
                *web_search_events("anything", output_index=1),
            ],
        )
    )
    events, exc = await run(client)
    assert exc is None
    types = [e.type for e in events]
    assert "response.reasoning_summary_text.delta" in types
    assert "response.web_search_call.searching" in types
    assert "response.output_text.delta" not in types
    refusals = [e for e in events if isinstance(e, ResponseRefusalDeltaEvent)]
    assert "".join(e.delta for e in refusals) == "I can't help with that."
    assert refusals[0].output_index == 2  # after the reasoning and web search items
    assert types[-5:] == [
        "response.refusal.delta",
        "response.refusal.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    output = events[-1].response.output
    assert [o.type for o in output] == ["reasoning", "web_search_call", "message"]
    assert output[2].content[0].type == "refusal"


# ------------------------------------------------------------------ scripting API


async def test_route_queue_default_and_wait_for(fake, client):
    fake.default = Script(text="default")
    fake.route(lambda body: Script(text="routed") if "special" in body["input"] else None)
    fake.queue(Script(text="queued"))
    assert text_of((await run(client, "special please"))[0]) == "routed"
    assert text_of((await run(client, "plain"))[0]) == "queued"
    assert text_of((await run(client, "plain"))[0]) == "default"
    assert text_of((await run(client, "special again"))[0]) == "routed"
    assert await fake.wait_for(lambda: len(fake.streams) == 4, timeout=1)
    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda: False, timeout=0.05)


async def test_concurrent_streams_interleave(fake, client):
    fake.route(lambda body: Script(text="a b c d e f", rate=50) if body["model"] == "m1" else None)
    fake.route(lambda body: Script(text="1 2 3 4 5 6", rate=50) if body["model"] == "m2" else None)
    (ev1, e1), (ev2, e2) = await asyncio.gather(run(client, model="m1"), run(client, model="m2"))
    assert (e1, e2) == (None, None)
    assert (text_of(ev1), text_of(ev2)) == ("a b c d e f", "1 2 3 4 5 6")
    assert ev1[-1].response.model == "m1"
    s1, s2 = sorted(fake.streams, key=lambda s: s.model)
    assert s2.delta_times[0][0] < s1.delta_times[-1][0]  # they overlapped in time


def test_script_validates_its_knobs():
    with pytest.raises(ValueError, match="unknown ending"):
        Script(ending="nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk"):
        Script(chunk=0)
    assert Script(text=" lead  and trail ").pieces() == [" ", "lead  ", "and ", "trail "]
    assert Script(refusal="no way").reply == "no way"


async def test_message_list_input_counts_prompt_words(fake, client):
    fake.queue(Script(text="ok"))
    events, _ = await run(
        client,
        [
            {"role": "user", "content": "hello big world"},
            {"role": "user", "content": [{"type": "input_text", "text": "and more"}]},
        ],
    )
    assert fake.requests[0].prompt == "hello big world\nand more"
    assert events[-1].response.usage.input_tokens == 5
