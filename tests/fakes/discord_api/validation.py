"""Discord's answers to bad requests: the API error and the payload checks.

Handlers raise ``_ApiError``; rest.py turns it into Discord's JSON error body with the
status. Over-long content and embeds are answered 400 with code 50035 ("Invalid Form
Body") and an ``errors`` tree naming the field, as Discord does; an empty message 50006.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.discord_api.constants import (
    MAX_CONTENT,
    MAX_EMBED_AUTHOR,
    MAX_EMBED_DESCRIPTION,
    MAX_EMBED_FIELDS,
    MAX_EMBED_FOOTER,
    MAX_EMBED_TITLE,
    MAX_EMBED_TOTAL,
    MAX_EMBEDS,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
)


class _ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code}
        if errors is not None:
            self.body["errors"] = errors


def _form_error(errors: dict[str, Any]) -> _ApiError:
    return _ApiError(400, 50035, "Invalid Form Body", errors)


def _max_len(limit: int) -> dict[str, Any]:
    return {
        "_errors": [
            {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}
        ]
    }


class PayloadValidation:
    """Checks of message payloads, shared by channel, callback and webhook routes."""

    @staticmethod
    def _validate_embeds(embeds: Any) -> None:
        if embeds is None:
            return
        if not isinstance(embeds, list):
            raise _form_error(
                {
                    "embeds": {
                        "_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Must be an array."}]
                    }
                }
            )
        if len(embeds) > MAX_EMBEDS:
            raise _form_error({"embeds": _max_len(MAX_EMBEDS)})
        errors: dict[str, Any] = {}
        total = 0
        for i, embed in enumerate(embeds):
            err: dict[str, Any] = {}
            title = embed.get("title") or ""
            description = embed.get("description") or ""
            footer = (embed.get("footer") or {}).get("text") or ""
            author = (embed.get("author") or {}).get("name") or ""
            fields = embed.get("fields") or []
            if len(title) > MAX_EMBED_TITLE:
                err["title"] = _max_len(MAX_EMBED_TITLE)
            if len(description) > MAX_EMBED_DESCRIPTION:
                err["description"] = _max_len(MAX_EMBED_DESCRIPTION)
            if len(footer) > MAX_EMBED_FOOTER:
                err["footer"] = {"text": _max_len(MAX_EMBED_FOOTER)}
            if len(author) > MAX_EMBED_AUTHOR:
                err["author"] = {"name": _max_len(MAX_EMBED_AUTHOR)}
            if len(fields) > MAX_EMBED_FIELDS:
                err["fields"] = _max_len(MAX_EMBED_FIELDS)
            field_errors: dict[str, Any] = {}
            for j, fld in enumerate(fields):
                name, value = fld.get("name") or "", fld.get("value") or ""
                ferr: dict[str, Any] = {}
                if len(name) > MAX_FIELD_NAME:
                    ferr["name"] = _max_len(MAX_FIELD_NAME)
                if len(value) > MAX_FIELD_VALUE:
                    ferr["value"] = _max_len(MAX_FIELD_VALUE)
                if ferr:
                    field_errors[str(j)] = ferr
                total += len(name) + len(value)
            if field_errors and "fields" not in err:
                err["fields"] = field_errors
            total += len(title) + len(description) + len(footer) + len(author)
            if err:
                errors[str(i)] = err
        if errors:
            raise _form_error({"embeds": errors})
        if total > MAX_EMBED_TOTAL:
            raise _form_error(
                {
                    "embeds": {
                        "_errors": [
                            {
                                "code": "MAX_EMBED_SIZE_EXCEEDED",
                                "message": f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
                            }
                        ]
                    }
                }
            )

    def _validate_payload(self, body: Any) -> dict[str, Any]:
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise _form_error(
                {
                    "_errors": [
                        {
                            "code": "DICT_TYPE_CONVERT",
                            "message": "Only dictionaries may be used in a DictType",
                        }
                    ]
                }
            )
        content = body.get("content")
        if content is not None and not isinstance(content, str):
            content = str(content)
        if content is not None and len(content) > MAX_CONTENT:
            raise _form_error({"content": _max_len(MAX_CONTENT)})
        self._validate_embeds(body.get("embeds"))
        return body

    @staticmethod
    def _check_not_empty(
        msg_content: str, embeds: list[Any], body: dict[str, Any], files: list[Any]
    ) -> None:
        if (
            msg_content
            or embeds
            or files
            or body.get("attachments")
            or body.get("components")
            or body.get("sticker_ids")
            or body.get("poll")
        ):
            return
        raise _ApiError(400, 50006, "Cannot send an empty message")
