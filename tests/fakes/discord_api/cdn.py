"""Attachments: their JSON, and the CDN that serves their bytes.

Every attachment (of an injected message, or a file the bot uploaded) gets Discord's
fields and a signed URL on the fake, like
``/attachments/<channel>/<attachment>/<name>?ex=..&is=..&hm=..&`` (``url``) and the same
under ``/media`` (``proxy_url``, media.discordapp.net's role). ``GET`` on either answers
the bytes with the content type and needs no token, like the CDN; a download is recorded
in ``cdn_downloads``. A wrong signature, an unknown attachment or one of a deleted
message answers 404 (Discord's CDN drops deleted messages' files).

discord.py's ``Attachment.read()`` fetches ``url`` (``proxy_url`` with
``use_cached=True``) through ``HTTPClient.get_from_cdn``, which is a plain GET.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import struct
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web

from tests.fakes.discord_api.state import DiscordState, FakeFile


@dataclass
class _Stored:
    channel_id: int
    filename: str
    data: bytes
    content_type: str | None
    signature: str
    message_id: int | None = None


def _clean_filename(name: str) -> str:
    """Discord's sanitising: whitespace becomes ``_``, other odd characters go."""
    name = re.sub(r"\s+", "_", name.strip())
    name = re.sub(r"[^A-Za-z0-9._-]", "", name)
    return name or "unknown"


def _guess_type(filename: str) -> str | None:
    guessed, _ = mimetypes.guess_type(filename)
    if guessed is None:
        return None
    if guessed.startswith("text/"):
        return f"{guessed}; charset=utf-8"
    return guessed


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE}:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, JPEG, GIF or WebP header; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in {b"GIF87a", b"GIF89a"} and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp_size(data)
    return None


class Cdn(DiscordState):
    """Attachment JSON (``_attachment_json``) and the CDN routes (``_cdn_handler``)."""

    _cdn: dict[int, _Stored]

    def _sign(self, attachment_id: int, expires: str, issued: str) -> str:
        raw = f"{self.token}:{attachment_id}:{expires}:{issued}".encode()
        return hashlib.sha256(raw).hexdigest()

    def _attachment_json(self, channel_id: int, file: FakeFile) -> dict[str, Any]:
        """Store ``file`` on the CDN and return the attachment object Discord would send."""
        aid = self.snowflake()
        filename = _clean_filename(file.filename)
        content_type = file.content_type or _guess_type(filename)
        now = int(time.time())
        issued, expires = f"{now:x}", f"{now + 86400:x}"
        signature = self._sign(aid, expires, issued)
        self._cdn[aid] = _Stored(channel_id, filename, file.data, content_type, signature)
        path = f"/attachments/{channel_id}/{aid}/{quote(filename)}"
        query = f"?ex={expires}&is={issued}&hm={signature}&"
        base = f"http://127.0.0.1:{self.port}"
        data: dict[str, Any] = {
            "id": str(aid),
            "filename": filename,
            "size": len(file.data),
            "url": base + path + query,
            "proxy_url": base + "/media" + path + query,
        }
        if content_type is not None:
            data["content_type"] = content_type
        size = (file.width, file.height)
        if size[0] is None or size[1] is None:
            found = image_size(file.data) if (content_type or "").startswith("image/") else None
            size = found or (None, None)
        if size[0] is not None and size[1] is not None:
            data["width"], data["height"] = size
        if file.description is not None:
            data["description"] = file.description
        data["ephemeral"] = False
        data["flags"] = 0
        return data

    def _claim_attachments(self, message_id: int, attachments: list[dict[str, Any]]) -> None:
        for attachment in attachments:
            stored = self._cdn.get(int(attachment["id"]))
            if stored is not None and stored.message_id is None:
                stored.message_id = message_id

    async def _cdn_handler(self, request: web.Request) -> web.Response:
        info = request.match_info
        stored = self._cdn.get(int(info["aid"])) if info["aid"].isdigit() else None
        expires, issued = request.query.get("ex", ""), request.query.get("is", "")
        valid = (
            stored is not None
            and str(stored.channel_id) == info["cid"]
            and stored.filename == info["name"]
            and request.query.get("hm") == self._sign(int(info["aid"]), expires, issued)
        )
        if valid and stored is not None and stored.message_id is not None:
            msg = self.messages.get(stored.message_id)
            valid = msg is not None and not msg.deleted
        if not valid or stored is None:
            return web.Response(status=404, text="This content is no longer available.")
        self.cdn_downloads.append(info["aid"])
        await self.notify()
        return web.Response(
            body=stored.data,
            headers={"Content-Type": stored.content_type or "application/octet-stream"},
        )
