import asyncio

from bot.core.bus import ReplyBus, ReplyFinished, ReplyProgress, ReplyStarted, Subscription
from bot.core.reply import Origin, Outcome
from bot.core.request import Request

ORIGIN = Origin(trigger="test", user_id=1)
REQUEST = Request("q", "m")


def outcome() -> Outcome:
    return Outcome(
        ending="completed",
        detail=None,
        response_id=None,
        first_token=0.1,
        total=1.0,
        usage=None,
        deltas=3,
        characters=3,
        writes=1,
        messages=1,
        write_errors=0,
        final_written=True,
    )


def progress(reply_id: str, text: str, n: int) -> ReplyProgress:
    return ReplyProgress(reply_id, text, characters=n, deltas=n)


def drain(subscription: Subscription) -> list:
    return list(subscription._queue)


async def test_full_queue_merges_progress_per_reply_and_loses_no_text():
    bus = ReplyBus()
    sub = bus.subscribe(maxsize=3)
    bus.publish(ReplyStarted("a", ORIGIN, REQUEST))
    bus.publish(ReplyStarted("b", ORIGIN, REQUEST))
    for i in range(100):
        bus.publish(progress("a", f"a{i} ", i + 1))
        bus.publish(progress("b", f"b{i} ", i + 1))
    assert len(sub._queue) <= 4  # bounded: the queue does not grow with progress
    bus.publish(ReplyFinished("a", ORIGIN, REQUEST, outcome(), "text"))
    bus.publish(ReplyFinished("b", ORIGIN, REQUEST, outcome(), "text"))
    sub.close()
    events = [event async for event in sub]
    for reply in "ab":
        mine = [e for e in events if e.reply_id == reply]
        assert isinstance(mine[0], ReplyStarted)
        assert isinstance(mine[-1], ReplyFinished)
        text = "".join(e.text for e in mine if isinstance(e, ReplyProgress))
        assert text == "".join(f"{reply}{i} " for i in range(100))
        assert [e.characters for e in mine if isinstance(e, ReplyProgress)][-1] == 100


async def test_a_failing_listener_is_logged_and_the_others_still_get_every_event():
    bus = ReplyBus()
    seen: list[str] = []

    def broken(event) -> None:
        raise RuntimeError("listener bug")

    async def good(event) -> None:
        seen.append(type(event).__name__)

    bus.listen(broken, name="broken")
    bus.listen(good, name="good")
    bus.publish(ReplyStarted("a", ORIGIN, REQUEST))
    bus.publish(ReplyFinished("a", ORIGIN, REQUEST, outcome(), "t"))
    await bus.close()
    assert seen == ["ReplyStarted", "ReplyFinished"]


async def test_publish_never_waits_for_a_stuck_listener():
    bus = ReplyBus()
    release = asyncio.Event()

    async def stuck(event) -> None:
        await release.wait()

    bus.listen(stuck, name="stuck")
    loop = asyncio.get_running_loop()
    start = loop.time()
    for i in range(1000):
        bus.publish(progress("a", "x", i))
    assert loop.time() - start < 0.5
    release.set()
    await bus.close(drain_seconds=1.0)


async def test_a_subscription_that_falls_far_behind_is_closed(monkeypatch):
    monkeypatch.setattr("bot.core.bus.OVERFLOW", 5)
    bus = ReplyBus()
    sub = bus.subscribe()
    for i in range(10):
        bus.publish(ReplyStarted(str(i), ORIGIN, REQUEST))
    assert sub.closed
    assert len(drain(sub)) == 5
