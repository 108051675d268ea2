"""Attachments: images and text files reach the model; anything else is noted, not lost."""

from __future__ import annotations

import hashlib
import struct
import zlib

from tests.fakes.discord_api import FakeFile
from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL


def png(width: int = 1, height: int = 1) -> bytes:
    """A real PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * width) * height
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def test_an_image_and_a_text_file_reach_the_model_as_input_parts(make_harness):
    image = png()
    async with make_harness() as h:
        h.model.default = Script(text="A red pixel and some notes.")
        await h.discord.inject_message(
            CHANNEL,
            "what are these?",
            attachments=[
                FakeFile("pixel.png", image, "image/png"),
                FakeFile("notes.md", b"# Notes\nremember the milk", "text/markdown"),
            ],
        )
        [record] = await h.wait_finished()
    [message] = h.model.requests[0].messages
    texts = [p.text for p in message.parts if hasattr(p, "text")]
    assert texts == ["what are these?", "Attached file notes.md:\n# Notes\nremember the milk"]
    [sent] = message.images
    assert (sent.mime, sent.size, sent.sha256) == (
        "image/png",
        len(image),
        hashlib.sha256(image).hexdigest(),
    )
    assert record["status"] == "completed"
    assert len(h.discord.cdn_downloads) == 2


async def test_unsupported_and_oversized_files_are_noted_in_the_reply(make_harness):
    async with make_harness(max_image_bytes=1000) as h:
        h.model.default = Script(text="I read what I could.")
        asked = await h.discord.inject_message(
            CHANNEL,
            "here you go",
            attachments=[
                FakeFile("report.pdf", b"%PDF-1.7 ...", "application/pdf"),
                FakeFile("huge.png", png(200, 200) + b"\x00" * 2000, "image/png"),
                FakeFile("ok.txt", b"plain text", "text/plain"),
            ],
        )
        await h.wait_finished()
        [reply] = h.replies_to(asked)
    lines = reply.content.splitlines()
    assert "-# 📎 Not read: report.pdf (not an image or a text file)" in lines
    assert any(
        line.startswith("-# 📎 Not read: huge.png (") and "over the 1 KB image limit" in line
        for line in lines
    )
    [message] = h.model.requests[0].messages
    assert message.images == []
    assert [p.text for p in message.parts][-1] == "Attached file ok.txt:\nplain text"


async def test_a_text_only_model_gets_a_clear_error_not_a_crash(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="never", reject_images=True)
        asked = await h.discord.inject_message(
            CHANNEL, "look", attachments=[FakeFile("pixel.png", png(), "image/png")]
        )
        [record] = await h.wait_finished()
        [reply] = h.replies_to(asked)
    assert reply.content.startswith("❌ The model server refused the request (400): ")
    assert record["status"] == "error"


async def test_an_image_alone_is_a_question_and_older_images_stay_in_the_conversation(make_harness):
    image = png()
    async with make_harness() as h:
        h.model.queue(Script(text="A pixel."), Script(text="Red."))
        first = await h.discord.inject_message(
            CHANNEL, "", attachments=[FakeFile("pixel.png", image, "image/png")]
        )
        await h.wait_finished(1)
        [answer] = h.replies_to(first)
        await h.discord.inject_message(
            CHANNEL, "what colour?", reference_id=answer.id, mention_bot=False
        )
        await h.wait_finished(2)
    second = h.model.requests[1]
    assert [m.role for m in second.messages] == ["user", "assistant", "user"]
    assert len(second.messages[0].images) == 1
    assert len(h.discord.cdn_downloads) == 1  # downloaded once, remembered for the next turn
