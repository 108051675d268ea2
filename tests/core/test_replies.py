import asyncio

import pytest

from bot.core.bus import ReplyBus, ReplyFinished, ReplyProgress, ReplyStarted
from bot.core.events import Finished, Started, TextDelta, Usage
from bot.core.pacing import Pacer
from bot.core.replies import PROGRESS_INTERVAL, ReplyService
from bot.core.reply import Origin
from bot.core.request import Request
from bot.discord_front.layout import MessageLayout
from tests.support.clock import FakeClock
from tests.support.sinks import RecordingSink

ORIGIN = Origin(trigger="test", user_id=7, where={"channel_id": 1})


class ScriptedLLM:
    """Streams ``deltas`` words, ``gap`` fake seconds apart; remembers if it was closed."""

    def __init__(self, clock: FakeClock, deltas: int, gap: float) -> None:
        self.clock, self.deltas, self.gap = clock, deltas, gap
        self.closed = False

    async def stream(self, request: Request):
        try:
            yield Started("resp_1", request.model)
            for i in range(self.deltas):
                await self.clock.sleep(self.gap)
                yield TextDelta(f"w{i} ")
            yield Finished("completed", usage=Usage(1, self.deltas))
        finally:
            self.closed = True


def service(clock: FakeClock, llm: ScriptedLLM) -> tuple[ReplyService, ReplyBus]:
    bus = ReplyBus()
    return ReplyService(llm, Pacer(clock=clock), bus, clock=clock), bus


async def test_events_started_throttled_progress_finished_and_registry_by_id():
    clock = FakeClock()
    llm = ScriptedLLM(clock, deltas=100, gap=0.05)  # 5 s of streaming
    replies, bus = service(clock, llm)
    sub = bus.subscribe()
    reply = replies.spawn(Request("q", "m"), RecordingSink(clock), MessageLayout(), ORIGIN)
    assert replies.get(reply.id) is reply
    assert replies.active == 1
    await clock.advance(30)
    outcome = await reply.task
    sub.close()
    events = [e async for e in sub]
    assert isinstance(events[0], ReplyStarted)
    assert events[0].reply_id == reply.id
    assert events[0].origin == ORIGIN
    finished = events[-1]
    assert isinstance(finished, ReplyFinished)
    assert finished.outcome == outcome
    assert finished.text == "".join(f"w{i} " for i in range(100))
    progress = [e for e in events if isinstance(e, ReplyProgress)]
    assert "".join(p.text for p in progress) == finished.text
    # Throttled: about one event per interval, not one per delta.
    assert 5 / PROGRESS_INTERVAL * 0.7 <= len(progress) <= 5 / PROGRESS_INTERVAL + 2
    assert replies.get(reply.id) is None
    assert replies.active == 0


async def test_stop_by_id_ends_the_reply_keeps_text_and_closes_the_stream():
    clock = FakeClock()
    llm = ScriptedLLM(clock, deltas=1000, gap=0.05)
    replies, _ = service(clock, llm)
    sink = RecordingSink(clock)
    reply = replies.spawn(Request("q", "m"), sink, MessageLayout(), ORIGIN)
    await clock.advance(3)
    assert replies.stop(reply.id)
    await clock.advance(10)
    outcome = await reply.task
    assert outcome.ending == "stopped"
    assert llm.closed
    assert "w10 " in sink.messages[-1]
    assert "⏹️ Stopped." in sink.messages[-1]
    assert not replies.stop(reply.id)  # no longer running
    assert not replies.stop("no-such-id")


async def test_a_stuck_listener_does_not_slow_the_reply():
    clock = FakeClock()
    llm = ScriptedLLM(clock, deltas=50, gap=0.05)
    replies, bus = service(clock, llm)
    never = asyncio.Event()

    async def stuck(event) -> None:
        await never.wait()

    def broken(event) -> None:
        raise RuntimeError("bug")

    bus.listen(stuck, name="stuck")
    bus.listen(broken, name="broken")
    sink = RecordingSink(clock)
    reply = replies.spawn(Request("q", "m"), sink, MessageLayout(), ORIGIN)
    await clock.advance(10)
    assert reply.task.done()
    outcome = reply.task.result()
    assert outcome.ending == "completed"
    assert outcome.total == pytest.approx(2.5, abs=0.1)
    for task in bus._listeners:
        task.cancel()
