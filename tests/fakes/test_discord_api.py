"""The fake Discord works with a real discord.py Bot and enforces Discord's rules."""

from __future__ import annotations

import asyncio
import io
import time

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakes.discord_api import EPHEMERAL, FakeDiscord

CHANNEL = 10


def make_bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)


@pytest.fixture
async def fake(monkeypatch):
    # Short windows keep the file fast; the rules are the same as with 5 per 5 s.
    server = FakeDiscord(write_window=1.0, webhook_window=1.0)
    await server.start()
    server.patch_discord(monkeypatch)
    yield server
    await server.stop()


@pytest.fixture
async def http(fake):
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession(base_url=fake.base_url + "/", headers=headers) as session:
        yield session


def statuses(calls) -> list[int]:
    return [c.status for c in calls]


async def test_login_ready_and_guild(fake):
    bot = make_bot()
    async with fake.running(bot):
        assert fake.identified.is_set()
        assert bot.user is not None
        assert bot.user.id == fake.bot_user_id
        assert bot.application_id == fake.application_id
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None
        # member_count == len(members) sent, so no chunking; without the members intent
        # discord.py caches only itself.
        assert guild.member_count == 2
        assert guild.me is not None
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        assert channel.permissions_for(guild.me).send_messages
        assert fake.identify_payload is not None
        assert fake.identify_payload["intents"] & discord.Intents(message_content=True).value
    paths = [c.path for c in fake.calls]
    assert paths[:2] == ["/users/@me", "/oauth2/applications/@me"]
    assert all(c.status == 200 for c in fake.calls)


async def test_wrong_token_is_rejected(fake):
    with pytest.raises(discord.LoginFailure):
        async with fake.running(make_bot(), token=fake.token + "-wrong"):
            pass
    assert fake.calls[-1].status == 401
    assert fake.calls[-1].response == {"message": "401: Unauthorized", "code": 0}
    # The gateway rejects a wrong IDENTIFY with close code 4004.
    async with aiohttp.ClientSession() as session, session.ws_connect(fake.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": fake.token + "-wrong", "intents": 0}})
        msg = await ws.receive()
        assert msg.type is aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4004
    assert not fake.identified.is_set()


async def test_injected_mention_reaches_on_message(fake):
    bot = make_bot()
    received: asyncio.Queue[discord.Message] = asyncio.Queue()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        await received.put(message)

    async with fake.running(bot):
        mid = await fake.inject_message(CHANNEL, "hello there")
        message = await asyncio.wait_for(received.get(), 5)
        assert message.id == mid
        assert message.content == f"<@{fake.bot_user_id}> hello there"
        assert bot.user in message.mentions
        assert message.author.id == fake.user_id
        assert not message.author.bot
        assert isinstance(message.author, discord.Member)
        assert message.channel.id == CHANNEL

        await fake.inject_message(
            CHANNEL, "no ping", mention_bot=False, author_bot=True, author_id=77
        )
        other = await asyncio.wait_for(received.get(), 5)
        assert other.content == "no ping"
        assert other.mentions == []
        assert other.author.bot


async def test_send_edit_reply_and_delete_are_recorded(fake):
    bot = make_bot()
    async with fake.running(bot):
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("first")
        await sent.edit(content="second <@42>", allowed_mentions=discord.AllowedMentions.none())
        await sent.edit(content="third <@42>")

        stored = fake.messages[sent.id]
        assert [text for _, text in stored.history] == ["first", "second <@42>", "third <@42>"]
        assert stored.content == "third <@42>"
        assert stored.author_id == fake.bot_user_id
        # allowed_mentions recorded per write; an edit without it re-parses with the default.
        assert stored.allowed_mentions[1] == {"parse": []}
        assert stored.allowed_mentions[2] is None
        assert stored.mention_ids == [42]
        assert [c.method for c in fake.writes(CHANNEL)] == ["POST", "PATCH", "PATCH"]
        assert {c.bucket for c in fake.writes(CHANNEL)} == {f"channel:{CHANNEL}"}

        with_file = await channel.send("file", file=discord.File(io.BytesIO(b"x"), "a.txt"))
        assert fake.calls[-1].json["content"] == "file"  # multipart payload_json parsed
        assert fake.calls[-1].files == ["a.txt"]
        assert fake.messages[with_file.id].attachments[0]["filename"] == "a.txt"

        user_msg = await fake.inject_message(CHANNEL, "question")
        reply = await channel.get_partial_message(user_msg).reply("answer")
        assert reply.reference is not None
        assert reply.reference.message_id == user_msg
        assert fake.messages[reply.id].reference_id == user_msg

        await sent.delete()
        assert fake.messages[sent.id].deleted
        with pytest.raises(discord.NotFound) as gone:
            await sent.edit(content="too late")
        assert gone.value.code == 10008
        with pytest.raises(discord.Forbidden) as foreign:
            await channel.get_partial_message(user_msg).edit(content="not mine")
        assert foreign.value.code == 50005


async def test_limits_answer_400_50035(fake):
    bot = make_bot()
    async with fake.running(bot):
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.status == 400
        assert too_long.value.code == 50035
        assert fake.calls[-1].status == 400
        assert "content" in fake.calls[-1].response["errors"]

        ok = await channel.send("x" * 2000)
        with pytest.raises(discord.HTTPException) as edit_too_long:
            await ok.edit(content="y" * 2001)
        assert edit_too_long.value.code == 50035
        assert fake.messages[ok.id].content == "x" * 2000

        with pytest.raises(discord.HTTPException) as big_embed:
            await channel.send(embed=discord.Embed(description="d" * 4097))
        assert big_embed.value.code == 50035
        with pytest.raises(discord.HTTPException) as total:
            await channel.send(embeds=[discord.Embed(description="d" * 4000) for _ in range(2)])
        assert total.value.code == 50035
        await channel.send(embed=discord.Embed(title="t" * 256, description="d" * 4096))
    assert statuses(fake.writes(CHANNEL)) == [400, 200, 400, 400, 400, 200]


async def test_sliding_window_with_raw_requests(fake, http):
    msg = fake.add_message(CHANNEL, "seed")  # no REST call: the window is empty
    path = f"channels/{CHANNEL}/messages/{msg.id}"
    answers = []

    async def edit(text: str) -> None:
        async with http.patch(path, json={"content": text}) as resp:
            answers.append((resp.status, dict(resp.headers), await resp.json()))

    await edit("edit 0")
    await asyncio.sleep(0.3)  # spacing, so the sliding window is distinguishable from a reset
    for i in range(1, 7):
        await edit(f"edit {i}")

    assert [status for status, _, _ in answers] == [200] * 5 + [429] * 2
    assert [h["X-RateLimit-Remaining"] for _, h, _ in answers[:5]] == ["4", "3", "2", "1", "0"]
    first_headers = answers[0][1]
    assert first_headers["Content-Type"] == "application/json"
    assert first_headers["X-RateLimit-Limit"] == "5"
    assert float(first_headers["X-RateLimit-Reset-After"]) == 1.0
    assert float(first_headers["X-RateLimit-Reset"]) > time.time()
    _, limited_headers, limited_body = answers[5]
    assert limited_headers["Via"] == "1.1 google"
    assert limited_headers["X-RateLimit-Scope"] == "user"
    assert limited_headers["Retry-After"] == "1"
    assert limited_headers["X-RateLimit-Bucket"] == first_headers["X-RateLimit-Bucket"]
    assert limited_body["global"] is False
    assert limited_body["message"] == "You are being rate limited."
    retry_after = limited_body["retry_after"]
    assert 0.5 < retry_after <= 0.7  # until "edit 0" leaves the window, not a full window
    assert fake.count_429 == 2
    assert fake.messages[msg.id].content == "edit 4"  # rejected edits change nothing

    # Sliding: once "edit 0" leaves the window exactly one slot frees up (the rejected
    # requests did not count); edits 1-4 stay in it for another ~0.3 s.
    await asyncio.sleep(answers[6][2]["retry_after"])
    await edit("after")
    await edit("again")
    assert [status for status, _, _ in answers[7:]] == [200, 429]
    assert answers[7][1]["X-RateLimit-Remaining"] == "0"
    assert answers[8][2]["retry_after"] < 0.35
    assert fake.count_429 == 3
    assert statuses(fake.writes(CHANNEL)) == [200] * 5 + [429, 429, 200, 429]

    # Other channels have their own bucket.
    other = fake.add_message(11, "seed")
    async with http.patch(f"channels/11/messages/{other.id}", json={"content": "x"}) as resp:
        assert resp.status == 200


async def test_global_limit_auth_and_unknown_routes():
    async with FakeDiscord(global_limit=3) as server, aiohttp.ClientSession() as session:
        async with session.get(server.base_url + "/users/@me") as resp:
            assert resp.status == 401
            assert resp.headers["Content-Type"] == "application/json"
            assert await resp.json() == {"message": "401: Unauthorized", "code": 0}
        headers = {"Authorization": f"Bot {server.token}"}
        async with session.get(server.base_url + "/no/such/route", headers=headers) as resp:
            assert resp.status == 404
            assert (await resp.json())["message"] == "404: Not Found"
        got = []
        for _ in range(3):
            async with session.get(server.base_url + "/users/@me", headers=headers) as resp:
                got.append((resp.status, await resp.json(), resp.headers))
        assert [status for status, _, _ in got] == [200, 200, 429]
        _, body, hdrs = got[-1]
        assert body["global"] is True
        assert 0 < body["retry_after"] <= 1.0
        assert hdrs["X-RateLimit-Global"] == "true"
        assert hdrs["X-RateLimit-Scope"] == "global"
        assert hdrs["Via"] == "1.1 google"
        assert server.count_429 == server.count_429_global == 1
        assert [c.status for c in server.calls] == [401, 404, 200, 200, 429]


async def test_discord_py_waits_on_headers_and_never_hits_429(fake):
    bot = make_bot()
    async with fake.running(bot):
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        msg = await channel.send("0")
        start = time.monotonic()
        for i in range(1, 8):
            await msg.edit(content=str(i))
        elapsed = time.monotonic() - start
    writes = fake.writes(CHANNEL)
    assert statuses(writes) == [200] * 8
    assert fake.count_429 == 0
    assert [text for _, text in fake.messages[msg.id].history] == [str(i) for i in range(8)]
    # 8 writes with 5 per 1.0 s: discord.py slept on Remaining=0 / Reset-After.
    assert writes[5].t - writes[0].t >= fake.write_window
    assert elapsed >= 0.9


async def test_injected_failures_429_and_500_are_retried_404_raises(fake):
    bot = make_bot()
    async with fake.running(bot):
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        msg = await channel.send("start")
        fake.fail_next("PATCH", rf"^/channels/{CHANNEL}/messages/\d+$", status=429, retry_after=0.1)
        await msg.edit(content="after 429")
        patches = [c for c in fake.writes(CHANNEL) if c.method == "PATCH"]
        assert statuses(patches) == [429, 200]
        assert patches[0].injected
        assert patches[1].t - patches[0].t >= 0.1
        assert fake.count_429 == 0
        assert fake.count_429_injected == 1
        assert fake.messages[msg.id].content == "after 429"

        fake.fail_next("POST", rf"^/channels/{CHANNEL}/messages$", status=500)
        retried = await channel.send("after 500")  # discord.py retries 5xx after 1 s
        assert statuses(fake.writes(CHANNEL))[-2:] == [500, 200]
        assert fake.messages[retried.id].content == "after 500"

        fake.fail_next(
            "PATCH", r"/messages/", status=404, json={"message": "Unknown Message", "code": 10008}
        )
        with pytest.raises(discord.NotFound) as err:
            await msg.edit(content="gone")
        assert err.value.code == 10008


async def test_slash_command_defer_edit_followup_and_autocomplete(fake, http):
    bot = make_bot()
    seen: asyncio.Queue[tuple[str, object]] = asyncio.Queue()

    async def model_autocomplete(interaction: discord.Interaction, current: str):
        return [app_commands.Choice(name=m, value=m) for m in ("gpt-a", "gpt-b") if current in m]

    @bot.tree.command(name="chat", description="Ask the model")
    @app_commands.autocomplete(model=model_autocomplete)
    async def chat(
        interaction: discord.Interaction,
        prompt: str,
        model: str = "gpt-a",
        temperature: float = 0.5,
        tokens: int = 10,
        private: bool = False,
    ) -> None:
        await seen.put(("args", (prompt, model, temperature, tokens, private)))
        await interaction.response.defer(ephemeral=private, thinking=True)
        await interaction.edit_original_response(content=f"answer to {prompt}")
        followup = await interaction.followup.send("more", wait=True)
        await followup.edit(content="more, edited")
        await seen.put(("done", followup.id))

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook
    async with fake.running(bot):
        assert fake.commands_scope == "global"
        assert [c["name"] for c in fake.commands] == ["chat"]
        options = {o["name"]: o["type"] for o in fake.commands[0]["options"]}
        assert options == {"prompt": 3, "model": 3, "temperature": 10, "tokens": 4, "private": 5}

        token = await fake.inject_interaction(
            CHANNEL, "chat", {"prompt": "hi", "temperature": 0.25, "tokens": 3, "private": True}
        )
        assert await asyncio.wait_for(seen.get(), 5) == ("args", ("hi", "gpt-a", 0.25, 3, True))
        kind, followup_id = await asyncio.wait_for(seen.get(), 5)
        assert kind == "done"
        state = fake.interaction(token)
        assert state.deferred
        assert state.ephemeral
        assert state.deferred_at is not None
        assert state.deferred_at - state.created_at < fake.interaction_deadline
        original = fake.messages[state.original_message_id]
        assert original.flags == EPHEMERAL
        assert not original.loading  # the edit replaced "is thinking..."
        assert original.interaction_token == token
        assert [text for _, text in original.history] == ["", "answer to hi"]
        assert state.followup_ids == [followup_id]
        assert [t for _, t in fake.messages[followup_id].history] == ["more", "more, edited"]
        assert {c.bucket for c in fake.writes(CHANNEL)} == {f"webhook:{token}"}

        # A second acknowledgement is refused with 40060.
        async with http.post(
            f"interactions/{state.id}/{token}/callback",
            params={"with_response": "1"},
            json={"type": 5},
        ) as resp:
            assert resp.status == 400
            assert (await resp.json())["code"] == 40060
        assert state.callback_errors[-1]["code"] == 40060

        auto = await fake.inject_autocomplete(
            CHANNEL, "chat", {"prompt": "x", "model": "b"}, "model"
        )
        choices = await fake.wait_for(lambda f: f.autocomplete_choices(auto))
        assert choices == [{"name": "gpt-b", "value": "gpt-b"}]


async def test_webhook_edits_are_paced_by_discord_py(fake):
    bot = make_bot()
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @bot.tree.command(name="count", description="Counts")
    async def count(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        for i in range(7):
            await interaction.edit_original_response(content=str(i))
        done.set_result(None)

    async with fake.running(bot):
        token = await fake.inject_interaction(CHANNEL, "count", {})
        await asyncio.wait_for(done, 5)
    original = fake.messages[fake.interaction(token).original_message_id]
    assert [t for _, t in original.history] == ["", *map(str, range(7))]
    assert statuses(fake.writes(CHANNEL)) == [200] * 7
    assert fake.count_429 == 0


async def test_callback_after_deadline_gets_10062(fake):
    bot = make_bot()
    errors: asyncio.Queue[int] = asyncio.Queue()

    @bot.tree.command(name="slow", description="Too slow")
    async def slow(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.defer()
        except discord.NotFound as exc:
            await errors.put(exc.code)

    async with fake.running(bot):
        fake.interaction_deadline = 0.0  # every callback is late, without sleeping
        token = await fake.inject_interaction(CHANNEL, "slow", {})
        assert await asyncio.wait_for(errors.get(), 5) == 10062
        state = fake.interaction(token)
        assert not state.deferred
        assert state.callback_errors == [{"message": "Unknown interaction", "code": 10062}]
        # Without an acknowledgement the webhook does not exist.
        with pytest.raises(discord.NotFound) as err:
            await discord.Webhook.partial(fake.application_id, token, client=bot).send(
                "late", wait=True
            )
        assert err.value.code == 10015


async def test_gateway_resume_after_disconnect(fake):
    bot = make_bot()
    resumed = asyncio.Event()
    received: asyncio.Queue[discord.Message] = asyncio.Queue()

    @bot.event
    async def on_resumed() -> None:
        resumed.set()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        await received.put(message)

    async with fake.running(bot):
        await fake.close_gateway(4000)
        await asyncio.wait_for(resumed.wait(), 5)
        assert [op["op"] for op in fake.received_ops].count(6) == 1
        mid = await fake.inject_message(CHANNEL, "still here")
        assert (await asyncio.wait_for(received.get(), 5)).id == mid


async def test_wait_for_wakes_on_calls_notify_and_poll(fake, http):
    outside: list[int] = []
    waiter = asyncio.create_task(fake.wait_for(lambda f: len(f.calls) >= 1 and "woken"))
    async with http.get("users/@me") as resp:
        assert resp.status == 200
    assert await asyncio.wait_for(waiter, 1) == "woken"

    # State outside the fake: re-checked on notify() ...
    waiter = asyncio.create_task(fake.wait_for(lambda _: outside))
    await asyncio.sleep(0)
    outside.append(1)
    await fake.notify()
    assert await asyncio.wait_for(waiter, 1) == [1]
    # ... or on a timer with poll=.
    outside.clear()
    asyncio.get_running_loop().call_later(0.05, outside.append, 2)
    assert await fake.wait_for(lambda _: outside, timeout=1, poll=0.02) == [2]
    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda _: False, timeout=0.05)


async def test_button_click_reaches_the_view(fake):
    bot = make_bot()
    clicked: asyncio.Queue[int] = asyncio.Queue()

    class Stop(discord.ui.View):
        @discord.ui.button(label="Stop", custom_id="stop")
        async def stop_button(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
            await interaction.response.edit_message(content="stopped", view=None)
            await clicked.put(interaction.user.id)

    async with fake.running(bot):
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("streaming...", view=Stop())
        assert fake.messages[sent.id].components
        token = await fake.inject_component(sent.id, "stop")
        assert await asyncio.wait_for(clicked.get(), 5) == fake.user_id
        assert fake.interaction(token).response_type == 7
        assert fake.messages[sent.id].content == "stopped"
        assert fake.messages[sent.id].components == []
