"""The fake's ``input`` handling (messages, images, validation, usage), with the real SDK."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

import openai
import pytest

from tests.fakes.responses_api import (
    IMAGE_INPUT_TOKENS,
    FakeResponses,
    ImagePart,
    InputMessage,
    OtherPart,
    Script,
    TextPart,
)
from tests.fakes.test_responses_api import KEY, MODEL, SDK_MODELS, run, text_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 30


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image(data: bytes = PNG, mime: str = "image/png", **extra: Any) -> dict[str, Any]:
    return {"type": "input_image", "image_url": data_url(data, mime), **extra}


def user(*parts: dict[str, Any] | str) -> dict[str, Any]:
    content = [{"type": "input_text", "text": p} if isinstance(p, str) else p for p in parts]
    return {"role": "user", "content": content}


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


# ------------------------------------------------------------------ parsing and recording


async def test_message_list_is_parsed_and_recorded(fake, client):
    fake.queue(Script(text="It is a PNG."))
    events, exc = await run(
        client,
        [
            {"role": "system", "content": "Be kind."},
            {"role": "developer", "content": [{"type": "input_text", "text": "Be short."}]},
            {"type": "message", "role": "user", "content": "first question"},
            {"role": "assistant", "content": "first answer"},
            {
                "role": "assistant",
                "content": [{"type": "output_text", "text": "more", "annotations": []}],
            },
            user("what is this?", image(detail="low"), image(JPEG, "image/jpeg")),
        ],
        instructions="You are a bot.",
        store=False,
        max_output_tokens=64,
    )
    assert exc is None
    assert text_of(events) == "It is a PNG."
    req = fake.requests[0]
    assert [role for role, _ in req.messages] == [
        "system",
        "developer",
        "user",
        "assistant",
        "assistant",
        "user",
    ]
    assert req.messages[0] == InputMessage("system", [TextPart("Be kind.")])
    assert req.messages[3].parts == [TextPart("first answer", "output_text")]
    assert req.messages[4].parts == [TextPart("more", "output_text")]
    role, parts = req.messages[-1]
    assert role == "user"
    assert parts[0] == TextPart("what is this?")
    assert parts[1] == ImagePart(
        mime="image/png", size=len(PNG), sha256=hashlib.sha256(PNG).hexdigest(), detail="low"
    )
    assert parts[2].mime == "image/jpeg"
    assert parts[2].size == len(JPEG)
    assert parts[2].detail == "auto"  # OpenAI's default when "detail" is left out
    assert req.images == [parts[1], parts[2]]
    assert req.messages[-1].text == "what is this?"
    assert req.prompt == "what is this?"  # the last user message only
    assert req.user_texts == ["first question", "what is this?"]
    assert (req.model, req.instructions, req.store, req.max_output_tokens) == (
        MODEL,
        "You are a bot.",
        False,
        64,
    )
    assert req.previous_response_id is None
    assert "previous_response_id" not in req.body
    assert req.error is None


async def test_plain_string_input_is_one_user_message(fake, client):
    await run(client, "hello there")
    req = fake.requests[0]
    assert req.messages == [InputMessage("user", [TextPart("hello there")])]
    assert req.prompt == "hello there"
    assert (req.store, req.instructions, req.max_output_tokens) == (None, None, None)


@pytest.mark.parametrize(
    ("items", "prompt"),
    [
        ([user("a"), {"role": "assistant", "content": "b"}, user("c")], "c"),
        ([user("a"), {"role": "assistant", "content": "b"}, user("c"), user("d")], "c\nd"),
        ([user("a", "b"), {"role": "assistant", "content": "x"}], "a\nb"),
        ([{"role": "system", "content": "s"}, user(image())], ""),
        ([{"role": "system", "content": "s"}], ""),
    ],
)
async def test_prompt_is_the_latest_user_turn(fake, client, items, prompt):
    _, exc = await run(client, items)
    assert exc is None
    assert fake.requests[0].prompt == prompt


async def test_https_images_file_ids_and_files_are_recorded(fake, client):
    pdf = {"type": "input_file", "filename": "a.pdf", "file_data": "data:application/pdf;base64,"}
    _, exc = await run(
        client,
        [
            user(
                {"type": "input_image", "image_url": "https://example.com/cat.png"},
                {"type": "input_image", "file_id": "file-123", "detail": "high"},
                pdf,
            )
        ],
    )
    assert exc is None
    parts = fake.requests[0].messages[0].parts
    assert parts[0] == ImagePart(url="https://example.com/cat.png")
    assert parts[1] == ImagePart(file_id="file-123", detail="high")
    assert parts[2] == OtherPart("input_file", pdf)


async def test_sniff_images_off_accepts_any_bytes(fake, client):
    fake.sniff_images = False
    _, exc = await run(client, [user(image(b"not really an image"))])
    assert exc is None
    assert fake.requests[0].images[0].size == len(b"not really an image")


# ------------------------------------------------------------------ validation


async def test_input_text_in_an_assistant_message_is_openais_400(fake, client):
    fake.queue(Script(text="kept for the next request"))
    bad = [user("hi"), {"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}]
    events, exc = await run(client, bad)
    assert events == []
    assert type(exc) is openai.BadRequestError  # 400: not retried
    assert exc.status_code == 400
    assert exc.message == (
        "Error code: 400 - Invalid value: 'input_text'. "
        "Supported values are: 'output_text' and 'refusal'."
    )
    assert (exc.type, exc.code, exc.param) == (
        "invalid_request_error",
        "invalid_value",
        "input[1].content[0]",
    )
    assert exc.body == fake.requests[0].error
    assert [r.attempt_status for r in fake.requests] == [400]
    assert fake.streams == []
    assert fake.pending == 1  # a refused request takes no script
    assert fake.requests[0].messages == []
    assert text_of((await run(client, "ok"))[0]) == "kept for the next request"


B64 = base64.b64encode(PNG).decode()
ALL_PART_TYPES = (
    "Invalid value: 'image_url'. Supported values are: 'input_text', 'input_image', "
    "'output_text', 'refusal', 'input_file', 'computer_screenshot', 'summary_text', and "
    "'encrypted_content'."
)
NO_DATA_PREFIX = (
    "Invalid image URL: 'input[0].content[0].image_url'. Expected a base64-encoded data URL "
    "with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a "
    "value without the 'data:' prefix."
)
NOT_AN_IMAGE = (
    "The image data you provided does not represent a valid image. Please check your input "
    "and try again with one of the supported image formats: ['image/jpeg', 'image/png', "
    "'image/gif', 'image/webp']."
)
BAD_INPUTS = [
    pytest.param(
        [{"content": "x"}],
        "input[0].role",
        "missing_required_parameter",
        "Missing required parameter: 'input[0].role'.",
        id="no-role",
    ),
    pytest.param(
        [{"role": "bot", "content": "x"}],
        "input[0].role",
        "invalid_value",
        "Supported values are: 'assistant', 'system', 'developer', and 'user'.",
        id="bad-role",
    ),
    pytest.param(
        [{"role": "user"}],
        "input[0].content",
        "missing_required_parameter",
        "'input[0].content'",
        id="no-content",
    ),
    pytest.param(
        [{"role": "user", "content": 5}],
        "input[0].content",
        "invalid_type",
        "but got an integer instead.",
        id="content-int",
    ),
    pytest.param(
        [{"role": "user", "content": "x", "name": "bob"}],
        "input[0].name",
        "unknown_parameter",
        "Unknown parameter: 'input[0].name'.",
        id="unknown-key",
    ),
    pytest.param(
        ["just a string"], "input[0]", "invalid_type", "expected an object", id="item-str"
    ),
    pytest.param(
        [{"type": "function_call_output", "call_id": "c", "output": "o"}],
        "input[0].type",
        "invalid_value",
        "only models 'message'",
        id="other-item",
    ),
    pytest.param(
        [user({"type": "image_url", "image_url": {"url": "x"}})],
        "input[0].content[0].type",
        "invalid_value",
        ALL_PART_TYPES,
        id="chat-image-part",
    ),
    pytest.param(
        [user({"text": "x"})],
        "input[0].content[0].type",
        "missing_required_parameter",
        "",
        id="part-no-type",
    ),
    pytest.param(
        [user({"type": "input_text"})],
        "input[0].content[0].text",
        "missing_required_parameter",
        "",
        id="part-no-text",
    ),
    pytest.param(
        [user({"type": "input_text", "text": 3})],
        "input[0].content[0].text",
        "invalid_type",
        "expected a string",
        id="text-int",
    ),
    pytest.param(
        [user({"type": "output_text", "text": "x"})],
        "input[0].content[0]",
        "invalid_value",
        "Supported values are: 'input_text', 'input_image', and 'input_file'.",
        id="user-output-text",
    ),
    pytest.param(
        [{"role": "assistant", "content": [{"type": "refusal"}]}],
        "input[0].content[0].refusal",
        "missing_required_parameter",
        "",
        id="refusal-no-text",
    ),
    pytest.param(
        [user({"type": "input_image"})],
        "input[0].content[0].image_url",
        "missing_required_parameter",
        "",
        id="image-no-url",
    ),
    pytest.param(
        [user({"type": "input_image", "image_url": B64})],
        "input[0].content[0].image_url",
        "invalid_value",
        NO_DATA_PREFIX,
        id="bare-base64",
    ),
    pytest.param(
        [user({"type": "input_image", "image_url": f"data:text/plain;base64,{B64}"})],
        "input[0].content[0].image_url",
        "invalid_value",
        "unsupported MIME type 'text/plain'",
        id="text-mime",
    ),
    pytest.param(
        [user({"type": "input_image", "image_url": "data:image/png,rawbytes"})],
        "input[0].content[0].image_url",
        "invalid_value",
        "not base64-encoded",
        id="not-base64",
    ),
    pytest.param(
        [user({"type": "input_image", "image_url": "data:image/png;base64,"})],
        "input[0].content[0].image_url",
        "invalid_value",
        "empty base64 payload",
        id="empty-payload",
    ),
    pytest.param(
        [user({"type": "input_image", "image_url": "data:image/png;base64,@@@@"})],
        "input[0].content[0].image_url",
        "invalid_value",
        "invalid base64 data",
        id="bad-base64",
    ),
    pytest.param(
        [user(image(b"GIF? no, plain text"))],
        "input[0].content[0].image_url",
        "invalid_value",
        NOT_AN_IMAGE,
        id="not-an-image",
    ),
    pytest.param(
        [user(image(detail="ultra"))],
        "input[0].content[0].detail",
        "invalid_value",
        "Supported values are: 'low', 'high', 'auto', and 'original'.",
        id="bad-detail",
    ),
    pytest.param(
        {"role": "user", "content": "x"},
        "input",
        "invalid_type",
        "expected one of a string or an array of input items, but got an object instead.",
        id="input-object",
    ),
]


@pytest.mark.parametrize(("bad", "param", "code", "says"), BAD_INPUTS)
async def test_malformed_input_is_400_with_openais_error_shape(
    fake, client, bad, param, code, says
):
    events, exc = await run(client, bad)
    assert events == []
    assert type(exc) is openai.BadRequestError
    assert (exc.type, exc.param, exc.code) == ("invalid_request_error", param, code)
    assert says in exc.message
    assert set(exc.body) == {"message", "type", "param", "code"}
    assert [r.attempt_status for r in fake.requests] == [400]


@pytest.mark.parametrize(
    ("value", "code", "says"),
    [
        (
            5,
            "integer_below_min_value",
            (
                "Invalid 'max_output_tokens': integer below minimum value. "
                "Expected a value >= 16, but got 5 instead."
            ),
        ),
        (
            "64",
            "invalid_type",
            "Invalid type for 'max_output_tokens': expected an integer, but got a string instead.",
        ),
    ],
)
async def test_max_output_tokens_below_16_or_not_an_integer_is_400(fake, client, value, code, says):
    fake.queue(Script())
    _, exc = await run(client, max_output_tokens=value)
    assert type(exc) is openai.BadRequestError
    assert (exc.param, exc.code) == ("max_output_tokens", code)
    assert exc.message == f"Error code: 400 - {says}"
    assert fake.pending == 1
    _, exc = await run(client, max_output_tokens=16)
    assert exc is None


async def test_previous_response_id_must_name_a_stored_response(fake, client):
    events, _ = await run(client, "remember me")
    stored = events[0].response.id
    events, _ = await run(client, "not stored", store=False)
    unstored = events[0].response.id
    _, exc = await run(client, "and now?", previous_response_id=stored)
    assert exc is None
    assert fake.requests[-1].previous_response_id == stored
    for missing in (unstored, "resp_nope"):
        _, exc = await run(client, "and now?", previous_response_id=missing)
        assert type(exc) is openai.BadRequestError
        assert (exc.param, exc.code) == ("previous_response_id", "previous_response_not_found")
        assert exc.message == f"Error code: 400 - Previous response with id '{missing}' not found."


# ------------------------------------------------------------------ usage


async def test_input_tokens_grow_with_the_conversation_and_images(fake, client):
    short = [user("what is the capital of France?")]
    longer = [
        user("tell me about Paris"),
        {"role": "assistant", "content": "Paris is the capital of France, on the Seine."},
        *short,
    ]
    with_images = [*longer[:-1], user("what is the capital of France?", image(), image(JPEG))]
    counts = []
    for conversation in (short, longer, with_images):
        events, exc = await run(client, conversation, instructions="Ignored by the count.")
        assert exc is None
        usage = events[-1].response.usage
        assert usage.total_tokens == usage.input_tokens + usage.output_tokens
        counts.append(usage.input_tokens)
    assert counts == [6, 6 + 4 + 9, 6 + 4 + 9 + 2 * IMAGE_INPUT_TOKENS]
    assert counts[0] < counts[1] < counts[2]


# ------------------------------------------------------------------ text-only models


VISION_REQUEST = [user("what is in this picture?", image())]


async def test_text_only_model_openai_style(fake, client):
    fake.queue(Script(text="I can only read.", reject_images=True))
    events, exc = await run(client, VISION_REQUEST)
    assert events == []
    assert type(exc) is openai.BadRequestError
    assert exc.body == {
        "message": "Invalid content type. input_image is only supported by certain models.",
        "type": "invalid_request_error",
        "param": "input[0].content[1].type",
        "code": None,
    }
    assert exc.code is None
    assert [r.attempt_status for r in fake.requests] == [400]
    assert fake.requests[0].messages[0].images  # parsed before the model refused it
    # The model is still there (the script stays queued): text alone works.
    events, exc = await run(client, [user("then just answer this")])
    assert exc is None
    assert text_of(events) == "I can only read."
    assert fake.pending == 0


async def test_text_only_model_vllm_style(fake, client):
    fake.queue(Script(reject_images="vllm", served_model="HuggingFaceTB/SmolLM2-135M-Instruct"))
    _, exc = await run(client, VISION_REQUEST)
    assert type(exc) is openai.BadRequestError
    assert exc.body == {
        "message": "HuggingFaceTB/SmolLM2-135M-Instruct is not a multimodal model",
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    }
    assert (exc.type, exc.code, exc.param) == ("BadRequestError", "400", None)


async def test_text_only_model_llama_cpp_style_is_a_retried_500(fake):
    fake.queue(Script(reject_images=True, llama_cpp=True))
    async with openai.AsyncOpenAI(base_url=fake.base_url, api_key=KEY, max_retries=1) as c:
        _, exc = await run(c, VISION_REQUEST)
    assert type(exc) is openai.InternalServerError
    assert exc.status_code == 500
    assert exc.body == {
        "code": 500,
        "message": (
            "image input is not supported - hint: if this is unexpected, you may need to "
            "provide the mmproj"
        ),
        "type": "server_error",
    }
    assert (exc.code, exc.type) == ("500", "server_error")
    # Both attempts met the same text-only model: the script is not used up by a refusal.
    assert [r.attempt_status for r in fake.requests] == [500, 500]
    assert [r.headers["x-stainless-retry-count"] for r in fake.requests] == ["0", "1"]
    assert fake.pending == 1


async def test_text_only_model_takes_text_requests(fake, client):
    fake.default = Script(text="text is fine", reject_images="vllm")
    events, exc = await run(client, [user("no pictures here")])
    assert exc is None
    assert text_of(events) == "text is fine"


def test_reject_images_knob_is_checked():
    with pytest.raises(ValueError, match="reject_images"):
        Script(reject_images="ollama")  # type: ignore[arg-type]
    assert Script(reject_images=True).reject_images == "openai"
    assert Script(reject_images=True, llama_cpp=True).reject_images == "llama_cpp"
    assert Script(reject_images="vllm", llama_cpp=True).reject_images == "vllm"


async def test_image_request_events_validate_against_the_sdk_models(fake, client):
    events, exc = await run(client, VISION_REQUEST)
    assert exc is None
    assert events[-1].type == "response.completed"
    for data in fake.streams[0].events:
        SDK_MODELS[data["type"]].model_validate(data, strict=True)
