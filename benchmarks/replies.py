"""The benchmark's replies: unique words ``r<reply>w<k>``, and how to recognise them again.

Every word of every reply is unique, so any version of any bot message can be attributed to
its reply; the footer and the live indicator are what the bot's layout adds around the text.
"""

from __future__ import annotations

import re

from bot.discord_front import layout as render
from tests.fakes.responses_api import split_words

MODEL = "bench-model"
FOOTER = f"-# {MODEL} · "
LIVE_INDICATOR = render.LIVE_INDICATOR  # the "still writing" mark; gone once a reply is final
# One word per delta; "r<reply>w<k>" is word (and delta) k of reply <reply>.
WORD = re.compile(r"\br(\d+)w(\d+)\b")


def reply_text(reply: int, deltas: int) -> str:
    """``deltas`` unique words ``r<reply>w<k>``: sentences of 12 words, paragraphs of 60."""
    out = []
    for k in range(deltas):
        word = f"r{reply}w{k}"
        if k == deltas - 1:
            out.append(word + ".")
        elif k % 60 == 59:
            out.append(word + ".\n\n")
        elif k % 12 == 11:
            out.append(word + ". ")
        else:
            out.append(word + " ")
    text = "".join(out)
    assert len(split_words(text)) == deltas  # the fake sends exactly one word per delta
    return text
