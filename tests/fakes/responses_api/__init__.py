"""A fake OpenAI Responses API (``POST /v1/responses`` with ``stream: true``) on 127.0.0.1.

It speaks the real wire format (``event: <type>`` + ``data: <compact json>`` + blank line,
chunked HTTP/1.1) so the real ``openai.AsyncOpenAI`` client (openai 3.52, httpx2) can be
pointed at it with ``base_url=fake.base_url``. Every event it emits validates against the
SDK's own pydantic models (``tests/fakes/test_responses_api*.py`` check this), except
where a knob copies a server that leaves fields out (``sequence_numbers=False``,
``llama_cpp=True``).

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

Requests (validated like OpenAI before any script runs; a 400 here consumes no queued
script, and ``Received.error`` keeps the ``error`` object):

- ``input``: a string (one user message) or a list of message items ``{"role":
  "user"|"assistant"|"system"|"developer", "content": str | [parts], "type"?: "message"}``.
  User/system/developer parts: ``{"type": "input_text", "text"}``, ``{"type":
  "input_image", "image_url": "data:<mime>;base64,..." | "https://...", "detail"?}`` (or
  ``file_id``), ``input_file`` (recorded, not modelled). Assistant content: a string or
  ``[{"type": "output_text", "text", "annotations"?}]`` / ``refusal`` parts. Anything else
  is OpenAI's 400 (``invalid_request_error``), which the SDK raises as
  ``openai.BadRequestError`` (not retried) with ``.code``, ``.param``, ``.type`` and
  ``.body`` from the error object (``.message`` is ``"Error code: 400 - " + message``):
  e.g. an ``input_text`` part in an assistant message gives code ``invalid_value``, param
  ``input[i].content[j]`` and "Invalid value: 'input_text'. Supported values are:
  'output_text' and 'refusal'."; a missing role gives
  ``missing_required_parameter``; a wrong type ``invalid_type``; an unknown key
  ``unknown_parameter``. Image data URLs must be ``data:image/...;base64,<payload>`` with a
  non-empty, valid payload ("Invalid image URL: ... Expected a base64-encoded data URL
  with an image MIME type ..."), and the bytes must be PNG/JPEG/GIF/WebP ("The image data
  you provided does not represent a valid image..."; ``fake.sniff_images = False`` skips
  that). ``https://`` URLs are recorded, never fetched. Item types other than ``message``
  (function calls, reasoning, references) are refused: this fake does not model them.
- ``max_output_tokens``: an integer >= 16, else 400 ``integer_below_min_value`` /
  ``invalid_type`` (llama.cpp has no minimum: not checked for ``Script(llama_cpp=True)``).
- ``previous_response_id``: only the id of a response this fake streamed from a request
  without ``store: false``; else 400 ``previous_response_not_found``, param
  ``previous_response_id``.

What the fake records (``fake.requests[i]``, a ``Received``): ``messages`` (a list of
``InputMessage(role, parts)``; parts are ``TextPart(text, type)``, ``ImagePart(mime, size,
sha256, url, file_id, detail)`` with size and sha256 of the decoded bytes, or
``OtherPart``), ``prompt`` (a plain-string ``input`` as it is; for a list, the text of the
last user message -- several user messages in a row at the end count as one turn, joined
by newlines), ``user_texts``, ``images``, ``model``, ``instructions``, ``store`` (``None``
when absent), ``previous_response_id`` (``None`` when absent), ``max_output_tokens``.

Usage: ``input_tokens`` is one per word of every text part of every message plus
``IMAGE_INPUT_TOKENS`` (85) per image, so a longer conversation costs more
(``instructions`` are not counted); ``output_tokens`` is the number of deltas;
``Script.usage`` overrides either.

Model and server knobs on ``Script`` (all verified with the SDK by the self-tests):

- ``reject_images``: a text-only model; a request with an ``input_image`` part is refused
  and the script stays queued, so retries meet the same model. ``True``/``"openai"``: 400
  ``{"message": "Invalid content type. input_image is only supported by certain
  models.", "type": "invalid_request_error", "param": "input[i].content[j].type", "code":
  null}`` (OpenAI's Chat Completions wording for a model without vision, carried over) ->
  ``BadRequestError`` with ``.code is None``. ``"vllm"``: 400 ``{"message": "<model> is
  not a multimodal model", "type": "BadRequestError", "param": null, "code": 400}`` ->
  ``BadRequestError`` with ``.type == "BadRequestError"`` and ``.code == "400"`` (the SDK
  makes the integer a string). ``"llama_cpp"``: llama-server without ``--mmproj`` answers
  **500** ``{"code": 500, "message": "image input is not supported - hint: ...",
  "type": "server_error"}``, so the SDK retries it (0.5 s, 1 s backoff: no retry-after)
  and then raises ``InternalServerError`` (``.code == "500"``).
- ``served_model="smollm2-135m-instruct"``: ``event.response.model`` of
  created/in_progress/completed is that name, not the requested one (an alias resolved by
  a proxy or llama-server); ``StreamRecord.response_model`` keeps it. ``GET /v1/models``
  lists ``fake.models``.
- ``model_in_created=False``: ``response.created``/``in_progress`` carry ``model: ""``
  (valid: the SDK types ``model`` as a plain ``str``), ``response.completed`` the name.
- ``cut_at_max_tokens``: like OpenAI, at most ``max_output_tokens`` deltas (one token each),
  then ``response.incomplete`` with ``incomplete_details.reason == "max_output_tokens"``
  and ``usage.output_tokens == max_output_tokens``. ``cut_at_max_tokens_as_completed``:
  the same cut ended by ``response.completed`` (status ``completed``, no
  ``incomplete_details``), like llama-server: only ``usage.output_tokens ==
  max_output_tokens`` tells the client. A reply shorter than the limit is not cut.
- ``repeat_created_after=N``: a second ``response.created`` (same id) after delta N; the
  SDK yields it as another ``ResponseCreatedEvent`` and nothing raises. (Not part of the
  ``llama_cpp`` preset: the llama-server source read for this fake sends it once, with
  the first token.)
- ``sequence_numbers=False``: events without ``sequence_number``; the SDK does not
  validate stream events, so it yields them with ``event.sequence_number is None`` (they
  do not pass strict validation against its models).
- ``llama_cpp=True``: llama-server's stream (its ``server-task.cpp``): ``response.created``
  and ``response.in_progress`` come only with the first token (after ``ttft``) and hold
  just ``id``, ``object``, ``status`` -- the SDK gives ``response.model``,
  ``.created_at``, ``.output`` as ``None`` (and ``response.output_text`` raises
  ``TypeError``); item events have no ``output_index``/``content_index``/``logprobs``
  (``None``); ``response.completed`` has ``id, object, created_at, status, model, output,
  usage`` with ``usage.input_tokens_details``/``output_tokens_details`` ``None``. Turns on
  ``sequence_numbers=False`` and ``cut_at_max_tokens_as_completed`` unless given, skips the
  ``max_output_tokens`` minimum, and makes ``reject_images=True`` mean ``"llama_cpp"``.
  Other endings than ``completed`` keep OpenAI's shapes (llama-server has none of them).

Client disconnects: the server runs with ``handler_cancellation=True``, so when the
client closes the connection (``await stream.close()``) the handler is cancelled at once
(even while it is pacing), or a write fails with ``ConnectionResetError``; either way the
``StreamRecord`` gets ``closed_by_client=True`` and ``ended_how="client_closed"`` within
milliseconds. ``await fake.wait_closed(index_or_record, timeout)`` waits for that and
returns the record (``TimeoutError`` if still running, ``AssertionError`` if it ended
another way). ``stop()`` cancels streams still running (``ended_how="server_stopped"``;
the client then gets ``APIConnectionError``). Streams are never retried by the SDK once
headers arrived.

Timing: ``StreamRecord.delta_times`` holds ``time.monotonic()`` taken right after each
delta's ``await resp.write()``; ``rate`` follows an absolute schedule (first delta +
i / rate), so there is no drift. The client's first request and first parsed event cost
~0.1 s extra once per process (SDK warm-up), so assert on server-side times.

Layout: ``script.py`` (what the fake model does: ``Script`` and event helpers),
``records.py`` (what the server saw: ``Received``, ``StreamRecord``, input parts),
``inputs.py`` (parses and validates ``input``), ``server.py`` (``FakeResponses`` and the
HTTP handling) and ``performance.py`` (plays a ``Script`` as the SSE event sequence of one
streamed response).
"""

from tests.fakes.responses_api.performance import IMAGE_INPUT_TOKENS
from tests.fakes.responses_api.records import (
    ImagePart,
    InputMessage,
    OtherPart,
    Received,
    StreamRecord,
    TextPart,
)
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
    "IMAGE_INPUT_TOKENS",
    "PAUSE",
    "FakeResponses",
    "ImagePart",
    "InputMessage",
    "OtherPart",
    "Received",
    "Script",
    "StreamRecord",
    "TextPart",
    "pause",
    "reasoning_summary_events",
    "split_words",
    "unknown_event",
    "web_search_events",
]
