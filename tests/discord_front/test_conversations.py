"""Conversations: reply chains, threads, DMs, /reset, who said what, forwards, limits."""

from __future__ import annotations

from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL, conversation, rest_gets

OTHER_USER = 77


async def test_a_three_turn_reply_chain_carries_the_earlier_turns_verbatim(make_harness):
    async with make_harness() as h:
        h.model.queue(Script(text="Answer one."), Script(text="Answer **two**."), Script(text="3"))
        q1 = await h.mention("first question")
        await h.wait_finished(1)
        [a1] = h.replies_to(q1)
        q2 = await h.discord.inject_message(
            CHANNEL, "second question", reference_id=a1.id, mention_bot=False
        )
        await h.wait_finished(2)
        [a2] = h.replies_to(q2)
        q3 = await h.discord.inject_message(
            CHANNEL, "third question", reference_id=a2.id, mention_bot=False
        )
        records = await h.wait_finished(3)
    assert conversation(h.model.requests[2]) == [
        ("user", "first question"),
        ("assistant", "Answer one."),
        ("user", "second question"),
        ("assistant", "Answer **two**."),
        ("user", "third question"),
    ]
    assert conversation(h.model.requests[0]) == [("user", "first question")]
    assert [r["trigger"] for r in records] == ["mention", "reply", "reply"]
    assert records[2]["context_messages"] == 5
    assert records[2]["context_trimmed"] == 0
    assert rest_gets(h.discord) == []  # every message of the chain was known: no REST call
    assert q3


async def test_replying_to_the_middle_part_of_a_long_reply_sends_the_whole_answer(make_harness):
    long_answer = (
        "\n\n".join(
            f"Paragraph {i}: " + " ".join(f"word{i}x{j}" for j in range(60)) for i in range(8)
        )
        + "\n\n```python\n"
        + "\n".join(f"value_{k} = {k}" for k in range(120))
        + "\n```\nEnd."
    )
    async with make_harness() as h:
        h.model.queue(Script(text=long_answer, rate=2000), Script(text="Sure."))
        q1 = await h.mention("write a lot")
        await h.wait_finished(1)
        parts = h.replies_to(q1)
        assert len(parts) >= 3
        await h.discord.inject_message(
            CHANNEL, "explain part two", reference_id=parts[1].id, mention_bot=False
        )
        await h.wait_finished(2)
    assert conversation(h.model.requests[1]) == [
        ("user", "write a lot"),
        ("assistant", long_answer),
        ("user", "explain part two"),
    ]


async def test_a_mention_that_is_not_a_reply_starts_a_new_conversation(make_harness):
    async with make_harness() as h:
        h.model.queue(Script(text="One."), Script(text="Two."))
        await h.mention("first")
        await h.wait_finished(1)
        await h.mention("unrelated")
        await h.wait_finished(2)
    assert conversation(h.model.requests[1]) == [("user", "unrelated")]


async def test_a_100_message_chain_keeps_the_newest_turns_within_the_limit(make_harness):
    async with make_harness(max_messages=25) as h:
        h.model.default = Script(text="ok")
        previous = None
        for i in range(99):
            previous = await h.discord.inject_message(
                CHANNEL, f"m{i}", reference_id=previous, mention_bot=False
            )
        await h.discord.inject_message(CHANNEL, "m99", reference_id=previous)
        [record] = await h.wait_finished(1)
    [(role, _)] = conversation(h.model.requests[0])  # consecutive user turns: one message
    texts = [part.text for part in h.model.requests[0].messages[0].parts]
    assert role == "user"
    assert texts == [f"m{i}" for i in range(75, 100)]
    assert record["context_messages"] == 25
    assert record["context_trimmed"] >= 1
    assert rest_gets(h.discord) == []  # all 99 came over the gateway: cached


async def test_someone_elses_message_replied_to_counts_and_people_are_named(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="Partly.")
        await h.discord.set_member(OTHER_USER, nick="Ann")
        claim = await h.discord.inject_message(
            CHANNEL, "The moon is made of cheese.", author_id=OTHER_USER, mention_bot=False
        )
        await h.discord.inject_message(CHANNEL, "is this true?", reference_id=claim)
        await h.wait_finished(1)
    [(role, text)] = conversation(h.model.requests[0])
    assert role == "user"
    assert text == "Ann: The moon is made of cheese.\ntester: is this true?"


async def test_mentions_of_people_become_names_and_the_bots_mention_goes(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="Hi.")
        await h.discord.set_member(OTHER_USER, nick="Ann")
        await h.mention(f"say hello to <@{OTHER_USER}>")
        await h.wait_finished(1)
    assert h.model.requests[0].prompt == "say hello to @Ann"


async def test_thread_from_chat_continues_without_mentions_and_reset_cuts_history(make_harness):
    async with make_harness() as h:
        h.model.queue(Script(text="Threaded answer."), Script(text="Follow-up answer."))
        h.model.queue(Script(text="Fresh answer."))
        token = await h.discord.inject_interaction(
            CHANNEL, "chat", {"prompt": "Tell me about threads", "thread": True}
        )
        await h.wait_finished(1)
        [thread] = h.discord.threads.values()
        starter = h.discord.messages[thread.id]
        assert starter.content == "💬 **tester** asked:\n>>> Tell me about threads"
        assert thread.name == "Tell me about threads"
        [answer] = h.discord.bot_messages(thread.id)
        assert answer.content.startswith("Threaded answer.\n-# ")
        await h.discord.inject_message(thread.id, "and then?", mention_bot=False)
        await h.wait_finished(2)
        await h.discord.inject_interaction(thread.id, "reset", {})
        await h.discord.wait_for(
            lambda f: any(m.content.startswith("🔄") for m in f.bot_messages(thread.id))
        )
        await h.discord.inject_message(thread.id, "new topic", mention_bot=False)
        records = await h.wait_finished(3)
    assert conversation(h.model.requests[1]) == [
        ("user", "Tell me about threads"),
        ("assistant", "Threaded answer."),
        ("user", "and then?"),
    ]
    assert conversation(h.model.requests[2]) == [("user", "new topic")]
    assert [r["trigger"] for r in records] == ["slash", "thread", "thread"]
    assert h.discord.interaction(token).deferred


async def test_a_mention_in_someone_elses_thread_works_like_in_a_channel(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="ok")
        thread_id = await h.discord.create_thread(CHANNEL, "their thread", owner_id=OTHER_USER)
        await h.discord.inject_message(thread_id, "no mention here", mention_bot=False)
        await h.discord.inject_message(thread_id, "hello bot")
        [record] = await h.wait_finished(1)
    assert record["trigger"] == "mention"
    assert conversation(h.model.requests[0]) == [("user", "hello bot")]


async def test_a_dm_conversation_with_reset_and_a_forward(make_harness):
    async with make_harness() as h:
        h.model.queue(Script(text="Hello!"), Script(text="Noted."), Script(text="Fresh."))
        await h.discord.inject_dm("hi there")
        await h.wait_finished(1)
        await h.discord.inject_dm("remember 42")
        await h.wait_finished(2)
        dm = h.discord.dm_channel_id(h.discord.user_id)
        await h.discord.inject_interaction(dm, "reset", {}, context=1)
        await h.discord.wait_for(
            lambda f: any(m.content.startswith("🔄") for m in f.bot_messages(dm))
        )
        original = await h.discord.inject_message(
            CHANNEL, "Forward me", author_id=OTHER_USER, mention_bot=False
        )
        await h.discord.inject_forward(dm, original)
        records = await h.wait_finished(3)
    assert conversation(h.model.requests[1]) == [
        ("user", "hi there"),
        ("assistant", "Hello!"),
        ("user", "remember 42"),
    ]
    assert conversation(h.model.requests[2]) == [("user", "[Forwarded message]\nForward me")]
    assert [r["trigger"] for r in records] == ["dm", "dm", "dm"]
    assert records[0]["guild_id"] is None


async def test_dms_can_be_turned_off(make_harness):
    async with make_harness(allow_dms=False) as h:
        await h.discord.inject_dm("hello?")
        await h.mention("but this works")
        [record] = await h.wait_finished(1)
    assert record["trigger"] == "mention"
    assert len(h.model.requests) == 1
