from bot.core import errors
from bot.discord_front import layout as render


def test_footer_matches_the_documented_shape():
    stats = render.Stats(model="gpt-4o-mini", first_token=0.41, total=1.98, output_tokens=312)
    assert (
        render.footer(stats)
        == "-# gpt-4o-mini · first token 0.41 s · total 1.98 s · 312 tokens · 158 tok/s"
    )


def test_footer_marks_estimated_tokens_and_missing_first_token():
    stats = render.Stats(
        model="m", first_token=None, total=2.0, output_tokens=0, exact_tokens=False
    )
    assert render.footer(stats) == "-# m · total 2.00 s"  # nothing generated: no "~0 tokens"
    estimated = render.Stats(
        model="m", first_token=0.5, total=2.0, output_tokens=7, exact_tokens=False
    )
    assert (
        render.footer(estimated) == "-# m · first token 0.50 s · total 2.00 s · ~7 tokens · 4 tok/s"
    )


def test_live_shows_indicator_and_closes_open_fence():
    out = render.live("```py\nx = 1", tokens=5)
    assert out == "```py\nx = 1\n```\n-# ⏳ writing… · ~5 tokens"


def test_live_with_status_and_no_text():
    assert render.live("", 0, "Searching the web…") == "-# ⏳ Searching the web…"


def test_final_has_no_indicator():
    tail = render.final_tail(
        "incomplete", "it reached the max_output_tokens limit", render.Stats("m", 0.1, 1.0, 10)
    )
    out = render.final("Some text", tail)
    assert render.LIVE_INDICATOR not in out
    assert out.startswith("Some text\n⚠️ Cut off: it reached the max_output_tokens limit.\n-# m")


def test_notices_for_every_ending():
    assert errors.notice("completed", None) is None
    assert "restarted" in (errors.notice("shutdown", None) or "")
    assert errors.notice("failed", "The model failed: boom") == "❌ The model failed: boom"
    assert errors.notice("interrupted", None) == "❌ The reply failed."
    assert len(errors.notice("error", "x" * 1000) or "") == 300
