"""Models: offered from the server's list, the allow-list as policy, the answering model named."""

from __future__ import annotations

from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL, MODEL


async def test_without_bot_models_the_server_list_is_offered_and_any_name_accepted(make_harness):
    async with make_harness(models=()) as h:
        h.model.models = ["alpha-small", "beta-large", MODEL]
        await h.bot.app.models.refresh()
        token = await h.discord.inject_autocomplete(
            CHANNEL, "chat", {"prompt": "x", "model": "bet"}, "model"
        )
        await h.discord.wait_for(lambda f: f.autocomplete_choices(token) is not None)
        choices = h.discord.autocomplete_choices(token)
        h.model.default = Script(text="ok")
        await h.discord.inject_interaction(CHANNEL, "chat", {"prompt": "hi", "model": "beta-large"})
        await h.discord.inject_interaction(
            CHANNEL, "chat", {"prompt": "hi", "model": "unlisted"}, user_id=43
        )
        records = await h.wait_finished(2)
    assert [c["value"] for c in choices] == ["beta-large"]
    assert sorted(r["model_requested"] for r in records) == ["beta-large", "unlisted"]
    assert sorted(r.model for r in h.model.requests) == ["beta-large", "unlisted"]


async def test_with_bot_models_an_unlisted_model_is_refused_before_any_request(make_harness):
    async with make_harness() as h:  # the harness sets BOT_MODELS to two models
        h.model.models = ["something-else"]
        token = await h.discord.inject_interaction(
            CHANNEL, "chat", {"prompt": "hi", "model": "unlisted"}
        )
        await h.discord.wait_for(lambda f: f.interaction(token).responded)
        ac = await h.discord.inject_autocomplete(
            CHANNEL, "chat", {"prompt": "x", "model": ""}, "model"
        )
        await h.discord.wait_for(lambda f: f.autocomplete_choices(ac) is not None)
    [callback] = h.discord.interaction(token).callbacks
    assert "`unlisted` is not a model offered here" in callback["data"]["content"]
    assert h.model.requests == []
    assert [c["value"] for c in h.discord.autocomplete_choices(ac)] == [MODEL, "gpt-other"]


async def test_the_footer_and_record_name_the_model_that_answered(make_harness):
    async with make_harness() as h:
        h.model.default = Script(
            text="Tiny model here.", served_model="smollm2-135m-instruct", model_in_created=False
        )
        asked = await h.mention("who are you?")
        [record] = await h.wait_finished()
        [reply] = h.replies_to(asked)
    assert reply.content.splitlines()[-1].startswith("-# smollm2-135m-instruct · first token ")
    assert record["model"] == "smollm2-135m-instruct"
    assert record["model_requested"] == MODEL


async def test_llama_cpp_cut_at_max_output_tokens_shows_the_cut_off_notice(make_harness):
    async with make_harness() as h:
        h.model.default = Script(
            text=" ".join(f"t{i}" for i in range(100)), cut_at_max_tokens_as_completed=True
        )
        token = await h.discord.inject_interaction(
            CHANNEL, "chat", {"prompt": "go on", "max_output_tokens": 16}
        )
        [record] = await h.wait_finished()
    original = h.discord.messages[h.discord.interaction(token).original_message_id]
    assert "⚠️ Cut off: it reached the max_output_tokens limit." in original.content
    assert record["status"] == "incomplete"
    assert record["output_tokens"] == 16


async def test_a_repeated_created_event_and_missing_sequence_numbers_are_harmless(make_harness):
    async with make_harness() as h:
        h.model.default = Script(
            text="one two three four", repeat_created_after=2, sequence_numbers=False
        )
        asked = await h.mention("count")
        [record] = await h.wait_finished()
        [reply] = h.replies_to(asked)
    assert reply.content.startswith("one two three four\n-# ")
    assert record["status"] == "completed"
