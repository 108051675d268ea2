"""Parses and validates a request's ``input`` the way OpenAI's Responses API does.

``parse_input(body["input"])`` returns ``InputMessage`` records or raises ``InputError``
(status 400, OpenAI's ``{"message", "type", "param", "code"}``). Wordings marked *cited*
are OpenAI's own, as seen in public bug reports; the others follow OpenAI's patterns
("Missing required parameter: ...", "Invalid type for ...", "Invalid value: ...").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.responses_api.records import ImagePart, InputMessage, OtherPart, Part, TextPart

ROLES = ("assistant", "system", "developer", "user")
DETAILS = ("low", "high", "auto", "original")
#: Part types OpenAI names when a part's type is unknown (cited: langchain-ai/langchainjs#11248).
KNOWN_PART_TYPES = (
    "input_text",
    "input_image",
    "output_text",
    "refusal",
    "input_file",
    "computer_screenshot",
    "summary_text",
    "encrypted_content",
)
ASSISTANT_PART_TYPES = ("output_text", "refusal")
USER_PART_TYPES = ("input_text", "input_image", "input_file")
#: The image formats OpenAI accepts (the list its "not a valid image" error gives).
IMAGE_FORMATS = ("image/jpeg", "image/png", "image/gif", "image/webp")
_MESSAGE_KEYS = frozenset({"type", "role", "content", "status", "id", "phase"})
_DATA_URL = re.compile(r"data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<payload>.*)", re.DOTALL)
_EXAMPLE_URL = "'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='"


@dataclass
class InputError(Exception):
    """A 400 ``invalid_request_error`` about ``param``."""

    message: str
    param: str | None
    code: str | None = "invalid_value"

    def error(self) -> dict[str, Any]:
        """OpenAI's ``error`` object."""
        return {
            "message": self.message,
            "type": "invalid_request_error",
            "param": self.param,
            "code": self.code,
        }


def json_kind(value: Any) -> str:
    """How OpenAI names a JSON value's type in ``Invalid type`` errors."""
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a decimal"),
        (str, "a string"),
        (list, "an array"),
        (type(None), "null"),
    ]
    return next((name for kind, name in kinds if isinstance(value, kind)), "an object")


def _supported(values: tuple[str, ...]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _missing(param: str) -> InputError:
    return InputError(
        f"Missing required parameter: '{param}'.", param, "missing_required_parameter"
    )


def _bad_type(param: str, expected: str, value: Any) -> InputError:
    return InputError(
        f"Invalid type for '{param}': expected {expected}, but got {json_kind(value)} instead.",
        param,
        "invalid_type",
    )


def _bad_value(param: str, value: Any, allowed: tuple[str, ...]) -> InputError:
    return InputError(
        f"Invalid value: '{value}'. Supported values are: {_supported(allowed)}.", param
    )


def parse_input(value: Any, *, sniff_images: bool = True) -> list[InputMessage]:
    """``input`` as messages; a plain string is one user message, ``None`` none."""
    if value is None:
        return []
    if isinstance(value, str):
        return [InputMessage("user", [TextPart(value)])]
    if not isinstance(value, list):
        raise _bad_type("input", "one of a string or an array of input items", value)
    return [_message(item, f"input[{i}]", sniff_images) for i, item in enumerate(value)]


def _message(item: Any, where: str, sniff_images: bool) -> InputMessage:
    if not isinstance(item, dict):
        raise _bad_type(where, "an object", item)
    kind = item.get("type", "message")
    if kind != "message":
        # Function calls, reasoning items, item references...: real, but not modelled here.
        raise InputError(
            f"Invalid value: '{kind}'. This fake only models 'message' input items.",
            f"{where}.type",
        )
    for key in item:
        if key not in _MESSAGE_KEYS:
            raise InputError(
                f"Unknown parameter: '{where}.{key}'.", f"{where}.{key}", "unknown_parameter"
            )
    if "role" not in item:
        raise _missing(f"{where}.role")
    role = item["role"]
    if role not in ROLES:
        raise _bad_value(f"{where}.role", role, ROLES)
    if "content" not in item:
        raise _missing(f"{where}.content")
    content = item["content"]
    if isinstance(content, str):
        return InputMessage(role, [TextPart(content, _text_type(role))])
    if not isinstance(content, list):
        raise _bad_type(f"{where}.content", "one of a string or an array of objects", content)
    parts = [
        _part(part, role, f"{where}.content[{j}]", sniff_images) for j, part in enumerate(content)
    ]
    return InputMessage(role, parts)


def _text_type(role: str) -> str:
    return "output_text" if role == "assistant" else "input_text"


def _required_str(part: dict[str, Any], key: str, where: str) -> str:
    if key not in part:
        raise _missing(f"{where}.{key}")
    value = part[key]
    if not isinstance(value, str):
        raise _bad_type(f"{where}.{key}", "a string", value)
    return value


def _part(part: Any, role: str, where: str, sniff_images: bool) -> Part:
    if not isinstance(part, dict):
        raise _bad_type(where, "an object", part)
    if "type" not in part:
        raise _missing(f"{where}.type")
    kind = part["type"]
    if kind not in KNOWN_PART_TYPES:
        raise _bad_value(f"{where}.type", kind, KNOWN_PART_TYPES)
    if role == "assistant":
        if kind not in ASSISTANT_PART_TYPES:
            # Cited (NousResearch/hermes-agent#15687): OpenAI's answer, param without ".type".
            raise _bad_value(where, kind, ASSISTANT_PART_TYPES)
        if kind == "refusal":
            return TextPart(_required_str(part, "refusal", where), "refusal")
        annotations = part.get("annotations", [])
        if not isinstance(annotations, list):
            raise _bad_type(f"{where}.annotations", "an array", annotations)
        return TextPart(_required_str(part, "text", where), "output_text")
    if kind not in USER_PART_TYPES:
        # By analogy with the assistant rule above (OpenAI's exact answer not seen).
        raise _bad_value(where, kind, USER_PART_TYPES)
    if kind == "input_text":
        return TextPart(_required_str(part, "text", where))
    if kind == "input_image":
        return _image(part, where, sniff_images)
    return OtherPart(kind, dict(part))


def _image(part: dict[str, Any], where: str, sniff_images: bool) -> ImagePart:
    detail = part.get("detail") or "auto"  # the SDK types say required; the API defaults it
    if detail not in DETAILS:
        raise _bad_value(f"{where}.detail", detail, DETAILS)
    url, file_id = part.get("image_url"), part.get("file_id")
    if url is None and file_id is None:
        raise _missing(f"{where}.image_url")
    if url is None:
        if not isinstance(file_id, str):
            raise _bad_type(f"{where}.file_id", "a string", file_id)
        return ImagePart(file_id=file_id, detail=detail)
    param = f"{where}.image_url"
    if not isinstance(url, str):
        raise _bad_type(param, "a string", url)
    if url.startswith(("https://", "http://")):
        return ImagePart(url=url, detail=detail)
    mime, data = _decode_data_url(url, param)
    if sniff_images and _sniff(data) is None:
        # OpenAI's message (cited: acoyfellow/my-ax#89); param and code are this fake's guess.
        raise InputError(
            "The image data you provided does not represent a valid image. Please check your "
            "input and try again with one of the supported image formats: "
            f"{list(IMAGE_FORMATS)}.",
            param,
        )
    return ImagePart(
        mime=mime, size=len(data), sha256=hashlib.sha256(data).hexdigest(), detail=detail
    )


def _decode_data_url(url: str, param: str) -> tuple[str, bytes]:
    """The MIME type and decoded bytes of an image data URL, or OpenAI's 400."""

    def bad(got: str) -> InputError:
        # The no-prefix wording is cited (Alibaba-NLP/OmniSearch#3, Chat Completions'
        # version of the same check); the other "but got ..." endings follow it.
        return InputError(
            f"Invalid image URL: '{param}'. Expected a base64-encoded data URL with an image "
            f"MIME type (e.g. {_EXAMPLE_URL}), but got {got}.",
            param,
        )

    match = _DATA_URL.fullmatch(url)
    if not url.startswith("data:") or match is None:
        raise bad("a value without the 'data:' prefix")
    mime = match["mime"].lower()
    if not mime.startswith("image/"):
        raise bad(f"unsupported MIME type '{mime}'")
    if ";base64" not in match["params"].lower():
        raise bad("a data URL that is not base64-encoded")
    payload = match["payload"]
    if not payload:
        raise bad("an empty base64 payload")
    try:
        return mime, base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise bad("invalid base64 data") from None


def _sniff(data: bytes) -> str | None:
    """The format of image bytes by their magic number (``None``: not one OpenAI takes)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
