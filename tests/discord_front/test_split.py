import random

from bot.discord_front.limits import MESSAGE_LIMIT
from bot.discord_front.split import Fence, discord_len, fit, open_fence, split_point, take_chunk


def split_all(body: str, limit: int) -> list[str]:
    chunks = []
    while discord_len(body) > limit:
        head, body = take_chunk(body, limit)
        chunks.append(head)
    chunks.append(body)
    return chunks


def test_line_break_beats_sentence_end_in_the_second_half():
    text = "a" * 900 + "\n\n" + "b" * 300 + "\n" + "c" * 500 + ". " + "d" * 500
    cut = split_point(text, 1990)  # the paragraph break is in the first half: ignored
    assert text[:cut].endswith("b" * 300 + "\n")
    assert text[cut:].startswith("c")


def test_sentence_end_beats_space():
    text = "word " * 150 + "End of sentence. " + "more words " * 200
    cut = split_point(text, 1000)
    assert text[:cut].endswith("End of sentence. ")


def test_paragraph_beats_line_when_both_in_reach():
    text = "x" * 600 + "\n\n" + "y" * 300 + "\n" + "z" * 2000
    assert text[: split_point(text, 1000)] == "x" * 600 + "\n\n"
    text = "x" * 700 + "\n" + "y" * 100 + "\n\n" + "z" * 2000
    assert text[: split_point(text, 1000)].endswith("\n\n")


def test_word_boundary_and_hard_cut():
    words = " ".join(["word"] * 600)
    cut = split_point(words, 1000)
    assert cut <= 1000
    assert words[:cut].endswith(" ")
    blob = "x" * 3000
    assert split_point(blob, 1000) == 1000


def test_fit_counts_astral_characters_twice():
    text = "😀" * 1500
    n = fit(text, 2000)
    assert n == 1000
    assert discord_len(text[:n]) == 2000


def test_open_fence_tracks_language_and_closing():
    assert open_fence("```python\nx = 1\n") == Fence("```", "python")
    assert open_fence("```python\nx = 1\n```\n") is None
    assert open_fence("text ```inline``` text") is None


def test_open_fence_pairs_markers_lazily_as_discord_renders_them():
    # CommonMark would keep the block open (a "```python" line inside it is content);
    # Discord closes the block there, and opens a new one at the next marker.
    assert open_fence("```\ncode\n```python\nmore") is None
    assert open_fence("```md\nA\n```python\nB\n```\n") == Fence("```", "")
    # Discord has no ~~~ code blocks.
    assert open_fence("~~~\ncode\n") is None


def test_model_text_with_nested_markers_splits_into_balanced_messages():
    # Seen with a real model: a fenced block that shows a fence inside it.
    block = "```markdown\nHow to write code:\n```python\nprint('hi')\n```\nDone.\n```\n"
    body = "\n\n".join([block + "Some prose " * 30] * 12)
    chunks = split_all(body, 1000)
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.count("```") % 2 == 0, chunk  # no stray marker in Discord


def test_split_inside_code_block_closes_and_reopens_with_language():
    body = (
        "Intro.\n\n```python\n" + "\n".join(f"value_{i} = {i}" for i in range(400)) + "\n```\nDone."
    )
    chunks = split_all(body, 1000)
    assert len(chunks) >= 5
    for chunk in chunks:
        assert discord_len(chunk) <= 1000
        assert open_fence(chunk) is None, chunk[-50:]
    for chunk in chunks[1:-1]:
        assert chunk.startswith("```python\n")
        assert chunk.endswith("\n```")
    # Nothing lost: strip the added fences and compare the code lines.
    lines = [line for chunk in chunks for line in chunk.split("\n") if line.startswith("value_")]
    assert lines == [f"value_{i} = {i}" for i in range(400)]


def test_prose_split_loses_nothing_but_whitespace():

    rng = random.Random(7)
    words = ["alpha", "beta", "gamma.", "delta!", "eps\n", "zeta\n\n", "eta?"]
    body = " ".join(rng.choice(words) for _ in range(3000))
    chunks = split_all(body, MESSAGE_LIMIT)
    assert all(discord_len(c) <= MESSAGE_LIMIT for c in chunks)
    assert "".join(body.split()) == "".join("".join(chunks).split())


def test_cut_does_not_fall_before_text_already_shown():
    text = "a" * 800 + "\n\n" + " ".join(["word"] * 300)
    assert split_point(text, 1000) == 802  # paragraph break preferred by default
    cut = split_point(text, 1000, keep=900)
    assert cut >= 900
    assert text[:cut].endswith(" ")
    # With no boundary after `keep`, the usual choice stands.
    blob = "b" * 700 + "\n" + "c" * 2000
    assert split_point(blob, 1000, keep=900) == 701
