"""Attachments a user sends with a question: images and text files for the model.

Images (png, jpeg, webp, gif) are downloaded from Discord by the bot itself (a
local model server cannot fetch Discord's CDN) and sent as data URLs; text files
(text/*, JSON, Markdown, code) are sent as text with their file name. Anything
else, anything over its size cap, and anything that fails to download is left
out with a short note shown in the reply: never silently.
"""

from __future__ import annotations

import mimetypes
from collections import OrderedDict
from dataclasses import dataclass

import discord

from bot.core.conversation import Image
from bot.logs import get_logger

log = get_logger(__name__)

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/x-yaml",
        "application/yaml",
        "application/toml",
        "application/javascript",
        "application/x-sh",
        "application/sql",
    }
)
TEXT_EXTENSIONS = frozenset(
    {
        ".txt",
        ".md",
        ".markdown",
        ".rst",
        ".json",
        ".jsonl",
        ".yaml",
        ".yml",
        ".toml",
        ".ini",
        ".cfg",
        ".conf",
        ".csv",
        ".tsv",
        ".log",
        ".xml",
        ".html",
        ".css",
        ".js",
        ".mjs",
        ".ts",
        ".tsx",
        ".jsx",
        ".py",
        ".rb",
        ".go",
        ".rs",
        ".java",
        ".kt",
        ".kts",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".hpp",
        ".cs",
        ".swift",
        ".php",
        ".pl",
        ".lua",
        ".r",
        ".sql",
        ".sh",
        ".bash",
        ".zsh",
        ".ps1",
        ".bat",
        ".vue",
        ".svelte",
        ".scala",
        ".hs",
        ".ex",
        ".exs",
        ".erl",
        ".clj",
        ".dart",
        ".m",
        ".mm",
        ".tex",
        ".diff",
        ".patch",
    }
)
#: Downloaded attachments kept for later turns of a conversation.
CACHE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Read:
    """What a message's attachments give the model, and the notes for what they did not."""

    images: tuple[Image, ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


def _kind(attachment: discord.Attachment) -> tuple[str, str]:
    """``("image" | "text" | "other", mime type)`` from the content type or the name."""
    mime = (attachment.content_type or "").split(";")[0].strip().lower()
    if not mime:
        mime = mimetypes.guess_type(attachment.filename)[0] or ""
    name = attachment.filename.lower()
    if mime in IMAGE_TYPES:
        return "image", mime
    if mime.startswith("text/") or mime in TEXT_TYPES:
        return "text", mime
    if any(name.endswith(ext) for ext in TEXT_EXTENSIONS) or name in {"dockerfile", "makefile"}:
        return "text", mime or "text/plain"
    return "other", mime


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


class AttachmentReader:
    """Downloads and classifies attachments, remembering recent downloads."""

    def __init__(self, *, max_image_bytes: int, max_text_bytes: int) -> None:
        self.max_image_bytes = max_image_bytes
        self.max_text_bytes = max_text_bytes
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._cached_bytes = 0
        self.downloads = 0

    async def _download(self, attachment: discord.Attachment) -> bytes:
        data = self._cache.get(attachment.id)
        if data is not None:
            self._cache.move_to_end(attachment.id)
            return data
        data = await attachment.read()
        self.downloads += 1
        self._cache[attachment.id] = data
        self._cached_bytes += len(data)
        while self._cached_bytes > CACHE_BYTES and self._cache:
            _, old = self._cache.popitem(last=False)
            self._cached_bytes -= len(old)
        return data

    async def read(self, attachments: list[discord.Attachment]) -> Read:
        """Read every attachment that the model can use; note the others."""
        images: list[Image] = []
        files: list[tuple[str, str]] = []
        notes: list[str] = []
        for attachment in attachments:
            kind, mime = _kind(attachment)
            name = attachment.filename
            cap = self.max_image_bytes if kind == "image" else self.max_text_bytes
            if kind == "other":
                notes.append(f"📎 Not read: {name} (not an image or a text file)")
                continue
            if attachment.size > cap:
                what = "image" if kind == "image" else "text file"
                notes.append(f"📎 Not read: {name} ({_size(attachment.size)}, over the "
                             f"{_size(cap)} {what} limit)")  # fmt: skip
                continue
            try:
                data = await self._download(attachment)
            except (discord.HTTPException, OSError) as exc:
                log.warning("attachment.download_failed", filename=name, error=str(exc)[:200])
                notes.append(f"📎 Not read: {name} (the download failed)")
                continue
            if kind == "image":
                images.append(Image(mime, data))
                continue
            try:
                files.append((name, data.decode("utf-8")))
            except UnicodeDecodeError:
                notes.append(f"📎 Not read: {name} (not UTF-8 text)")
        return Read(tuple(images), tuple(files), tuple(notes))
