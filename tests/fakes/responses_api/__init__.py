"""A fake OpenAI Responses API (``POST /v1/responses`` with ``stream: true``) on 127.0.0.1.

It speaks the real wire format (``event: <type>`` + ``data: <compact json>`` + blank line,
chunked HTTP/1.1) so the real ``openai.AsyncOpenAI`` client (openai 3.52, httpx2) can be
pointed at it with ``base_url=fake.base_url``. Every event it emits validates against the
SDK's own pydantic models (``tests/fakes/test_responses_api.py`` checks this).

Usage::

    fake = FakeResponses()
    await fake.start()
    fake.queue(Script(text="Hi there", ttft=0.2, rate=20))
    client = AsyncOpenAI(base_url=fake.base_url, api_key="test-key")
    ...
    await fake.wait_for(lambda: fake.streams and fake.streams[-1].ended is not None)
    await fake.stop()

What the SDK (openai 3.52, ``client.responses.create(..., stream=True)``) does with each
``Script.ending`` -- verified by ``tests/fakes/test_responses_api.py``:

- ``completed`` / ``incomplete`` / ``failed``: the terminal event is yielded as
  ``ResponseCompletedEvent`` / ``ResponseIncompleteEvent`` / ``ResponseFailedEvent``; nothing
  raises. ``event.response.usage``, ``.incomplete_details.reason``, ``.error.code/.message``.
- ``error_flat`` (``{"type":"error","code","message","param","sequence_number"}``): yielded as
  ``openai.types.responses.ResponseErrorEvent`` (``type == "error"``); nothing raises, and the
  iteration then simply ends (the server closes the body).
- ``error_nested`` (``{"type":"error","error":{"type","code","message"}}``): the SDK raises
  ``openai.APIError`` itself (the base class, not a status subclass: ``status_code`` is
  absent, ``.message`` is the nested message, ``.body`` is the nested error dict, ``.code``
  and ``.type`` are taken from it). Any event whose data has a truthy top-level ``"error"``
  key raises this way.
- ``cut`` (TCP closed mid-body, no chunked terminator, a half-written event in flight):
  ``openai.APIConnectionError`` (exactly that class, not ``APITimeoutError``), raised from
  ``httpx2.RemoteProtocolError``; the half event is never yielded.
- ``eof`` (body ends cleanly without a terminal event): the ``async for`` just ends;
  nothing raises. The caller must notice that no terminal event arrived.
- ``done_marker`` (``data: [DONE]`` after ``response.completed``): harmless, the SDK stops
  at it.
- Unknown event types (e.g. ``{"type": "response.future_thing", "foo": 1}``) are yielded,
  never raised. The SDK cannot match the discriminator and, without validating, builds
  the *first* member of the ``ResponseStreamEvent`` union: an instance of
  ``ResponseAudioDeltaEvent`` whose ``.type`` is the unknown string, unknown keys are
  attributes/``model_extra`` (``event.foo == 1``) and missing declared fields are ``None``
  (``event.delta is None``). So dispatch on ``event.type``, never on ``isinstance``.
  (Known types with missing fields are not validated either: the fields are ``None``.)
- ``http_status``: errors use OpenAI's JSON body. 401 -> ``AuthenticationError`` (no
  retry); 404 -> ``NotFoundError``; 429 -> ``RateLimitError``; 5xx ->
  ``InternalServerError``. The SDK retries 408/409/429/5xx ``max_retries`` times (default
  2, so 3 attempts). Note: ``retry-after: 0`` is *not* a fast retry -- the SDK honours
  only delays > 0, otherwise it backs off 0.5 s, 1 s, ... -- so the fake sends
  ``retry-after-ms`` (``Script.retry_after``, default 10 ms) to keep tests fast.

Client disconnects: the server runs with ``handler_cancellation=True``, so when the
client closes the connection (``await stream.close()``) the handler is cancelled at once
(even while it is pacing), or a write fails with ``ConnectionResetError``; either way the
``StreamRecord`` gets ``closed_by_client=True`` and ``ended_how="client_closed"``.
``stop()`` cancels streams still running (``ended_how="server_stopped"``; the client then
gets ``APIConnectionError``). Streams are never retried by the SDK once headers arrived.

Timing: ``StreamRecord.delta_times`` holds ``time.monotonic()`` taken right after each
delta's ``await resp.write()``; ``rate`` follows an absolute schedule (first delta +
i / rate), so there is no drift. The client's first request and first parsed event cost
~0.1 s extra once per process (SDK warm-up), so assert on server-side times.

Layout: ``script.py`` (what the fake model does: ``Script`` and event helpers),
``records.py`` (what the server saw: ``Received``, ``StreamRecord``), ``server.py``
(``FakeResponses`` and the HTTP handling) and ``performance.py`` (plays a ``Script`` as
the SSE event sequence of one streamed response).
"""

from tests.fakes.responses_api.records import Received, StreamRecord
from tests.fakes.responses_api.script import (
    PAUSE,
    Script,
    pause,
    reasoning_summary_events,
    split_words,
    unknown_event,
    web_search_events,
)
from tests.fakes.responses_api.server import FakeResponses

__all__ = [
    "PAUSE",
    "FakeResponses",
    "Received",
    "Script",
    "StreamRecord",
    "pause",
    "reasoning_summary_events",
    "split_words",
    "unknown_event",
    "web_search_events",
]
