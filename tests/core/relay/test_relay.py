import asyncio
import itertools
import re
from collections.abc import AsyncIterator

import pytest

from bot.core.events import Failed, Finished, Started, Status, StreamEvent, TextDelta, Usage
from bot.core.pacing import Pacer
from bot.core.relay import Hooks, Relay
from bot.discord_front import layout as render
from bot.discord_front import limits
from bot.discord_front.split import open_fence
from tests.support.clock import FakeClock
from tests.support.sinks import RecordingSink

LAYOUT = render.MessageLayout()


def script(
    clock: FakeClock, deltas: list[str], gap: float, ending: StreamEvent | None, ttft: float = 0.3
) -> AsyncIterator[StreamEvent]:
    async def gen() -> AsyncIterator[StreamEvent]:
        yield Started("resp_1", "")
        await clock.sleep(ttft)
        for delta in deltas:
            yield TextDelta(delta)
            await clock.sleep(gap)
        if ending is not None:
            yield ending

    return gen()


def completed(tokens: int) -> Finished:
    return Finished("completed", usage=Usage(input_tokens=5, output_tokens=tokens))


async def run_relay(clock, sink, events, *, seconds: float = 60.0, pacer=None):
    relay = Relay(sink, pacer or Pacer(clock=clock), LAYOUT, model="test-model", clock=clock)
    task = asyncio.create_task(relay.run(events))
    await clock.advance(seconds)
    return relay, await task


async def test_first_text_is_written_on_the_first_delta_and_edits_are_paced():
    clock = FakeClock()
    sink = RecordingSink(clock)
    start = clock.now()
    deltas = [f"w{i} " for i in range(100)]  # 100 deltas at 20/s: 5 s of streaming
    relay, outcome = await run_relay(clock, sink, script(clock, deltas, 0.05, completed(100)))
    first_time, op, _, content = sink.log[0]
    assert op == "send"
    assert first_time - start == pytest.approx(0.3)  # written at the first delta, no waiting
    assert content.startswith("w0")
    times = [t for t, *_ in sink.log]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= (5.25 / 5) - 1e-9
    assert outcome.writes == len(sink.log) <= 8
    assert outcome.ending == "completed"
    assert relay.text() == "".join(deltas)


async def test_final_message_is_exact_text_plus_footer():
    clock = FakeClock()
    sink = RecordingSink(clock)
    deltas = ["Hello", " there", ", world."]
    _, outcome = await run_relay(clock, sink, script(clock, deltas, 0.1, completed(3)))
    assert len(sink.messages) == 1
    body, footer = sink.messages[0].rsplit("\n", 1)
    assert body == "Hello there, world."
    assert footer.startswith("-# test-model · first token 0.30 s · total ")
    assert footer.endswith("3 tokens · " + footer.rsplit("· ", 1)[1])
    assert render.LIVE_INDICATOR not in sink.messages[0]
    assert outcome.final_written


async def test_live_writes_show_indicator_and_token_count():
    clock = FakeClock()
    sink = RecordingSink(clock)
    deltas = ["a "] * 40
    await run_relay(clock, sink, script(clock, deltas, 0.1, completed(40)))
    live = [c for _, _, _, c in sink.log[:-1]]
    assert live
    assert all(render.LIVE_INDICATOR in c and "tokens" in c for c in live)
    assert render.LIVE_INDICATOR not in sink.log[-1][3]


async def test_long_reply_with_code_splits_into_valid_messages():
    clock = FakeClock()
    sink = RecordingSink(clock)
    code = "\n".join(f"    print({i})  # line {i}" for i in range(200))
    text = "Intro paragraph.\n\n```python\ndef f():\n" + code + "\n```\n\nThat is all."
    deltas = [text[i : i + 7] for i in range(0, len(text), 7)]
    _, outcome = await run_relay(clock, sink, script(clock, deltas, 0.005, completed(len(deltas))))
    assert outcome.messages == len(sink.messages) >= 3
    for message in sink.messages:
        assert len(message) <= limits.MESSAGE_LIMIT
        assert open_fence(message) is None
        assert render.LIVE_INDICATOR not in message
    for message in sink.messages[1:]:
        assert message.startswith("```python\n")
    assert sink.messages[-1].split("\n-# ")[0].endswith("That is all.")
    printed = [
        line for m in sink.messages for line in m.split("\n") if line.startswith("    print(")
    ]
    assert printed == code.split("\n")


async def test_incomplete_keeps_text_and_says_why():
    clock = FakeClock()
    sink = RecordingSink(clock)
    ending = Finished("incomplete", usage=Usage(3, 2), reason="max_output_tokens")
    await run_relay(clock, sink, script(clock, ["Partial ", "answer"], 0.1, ending))
    assert sink.messages[0].startswith(
        "Partial answer\n⚠️ Cut off: it reached the max_output_tokens"
    )


async def test_failure_mid_stream_keeps_partial_text_and_shows_error():
    clock = FakeClock()
    sink = RecordingSink(clock)
    ending = Failed("interrupted", "The connection to the model server was lost.")
    _, outcome = await run_relay(clock, sink, script(clock, ["Half ", "done"], 0.1, ending))
    assert sink.messages[0].startswith("Half done\n❌ The connection to the model server was lost.")
    assert "~3 tokens" in sink.messages[0]  # estimated from 9 characters, not 2 deltas
    assert outcome.ending == "interrupted"


async def test_failure_before_any_text_is_one_clear_message():
    clock = FakeClock()
    sink = RecordingSink(clock)

    async def events() -> AsyncIterator[StreamEvent]:
        yield Failed("error", "The model server had an error (500). Try again in a moment.")

    await run_relay(clock, sink, events())
    assert len(sink.messages) == 1
    assert sink.messages[0].startswith("❌ The model server had an error (500).")


async def test_stream_without_terminal_event_is_interrupted():
    clock = FakeClock()
    sink = RecordingSink(clock)
    _, outcome = await run_relay(clock, sink, script(clock, ["abc"], 0.1, None))
    assert outcome.ending == "interrupted"
    assert "❌" in sink.messages[0]


async def test_status_shown_until_text_arrives_into_existing_message():
    clock = FakeClock()
    sink = RecordingSink(clock, existing=1)

    async def events() -> AsyncIterator[StreamEvent]:
        yield Status("Searching the web…")
        await clock.sleep(2.0)
        yield TextDelta("Found it.")
        yield completed(2)

    await run_relay(clock, sink, events())
    assert sink.log[0][1:3] == ("edit", 0)
    assert "Searching the web…" in sink.log[0][3]
    assert sink.messages[0].startswith("Found it.\n-# test-model")
    assert len(sink.messages) == 1


async def test_deleted_message_stops_the_stream():
    clock = FakeClock()
    sink = RecordingSink(clock)
    closed = asyncio.Event()

    async def events() -> AsyncIterator[StreamEvent]:
        try:
            for i in range(1000):
                yield TextDelta(f"{i} ")
                await clock.sleep(0.05)
        finally:
            closed.set()

    relay = Relay(sink, Pacer(clock=clock), LAYOUT, model="m", clock=clock)
    task = asyncio.create_task(relay.run(events()))
    await clock.advance(2.5)
    sink.gone = True
    await clock.advance(5)
    outcome = await task
    assert outcome.ending == "stopped"
    assert closed.is_set()
    assert outcome.deltas < 200


async def test_write_failures_are_retried():
    clock = FakeClock()
    sink = RecordingSink(clock, fail=2)
    _, outcome = await run_relay(clock, sink, script(clock, ["x"], 0.1, completed(1)))
    assert outcome.write_errors == 2
    assert sink.messages[0].startswith("x\n-# test-model")


async def test_shutdown_stop_marks_reply_and_keeps_text():
    clock = FakeClock()
    sink = RecordingSink(clock)
    deltas = [f"{i} " for i in range(1000)]
    relay = Relay(sink, Pacer(clock=clock), LAYOUT, model="m", clock=clock)
    task = asyncio.create_task(relay.run(script(clock, deltas, 0.05, completed(1000))))
    await clock.advance(3)
    relay.stop("shutdown")
    await clock.advance(3)
    outcome = await task
    assert outcome.ending == "shutdown"
    assert sink.messages[0].startswith("0 1 2 ")
    assert "the bot restarted" in sink.messages[0]
    assert render.LIVE_INDICATOR not in sink.messages[0]


async def test_two_replies_in_one_channel_share_the_budget_fairly():
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    sinks = [RecordingSink(clock), RecordingSink(clock)]
    relays = [Relay(s, pacer, LAYOUT, model="m", clock=clock) for s in sinks]
    deltas = [f"{i} " for i in range(200)]
    tasks = [
        asyncio.create_task(r.run(script(clock, deltas, 0.05, completed(200)))) for r in relays
    ]
    await clock.advance(40)
    outcomes = await asyncio.gather(*tasks)
    times = sorted(t for s in sinks for t, *_ in s.log)
    for i in range(len(times) - 5):
        assert times[i + 5] - times[i] >= 5.0  # never more than 5 writes in a 5 s window
    assert abs(outcomes[0].writes - outcomes[1].writes) <= 1
    assert all(s.messages[-1].split("\n-#")[0] == "".join(deltas).rstrip() for s in sinks)


async def test_shown_words_never_vanish_when_a_message_fills_up():
    clock = FakeClock()
    sink = RecordingSink(clock)
    # ~7 KB in paragraphs of 100 words: the last break before the limit is in shown text.
    words = [f"w{i}" + ("\n\n" if i % 100 == 99 else " ") for i in range(1200)]
    await run_relay(clock, sink, script(clock, words, 1 / 60, completed(1200)), seconds=120)
    state: dict[int, set[str]] = {}
    visible_before: set[str] = set()
    for _, _, index, content in sink.log:
        state[index] = {w for w in content.split() if re.fullmatch(r"w\d+", w)}
        visible = set().union(*state.values())
        assert visible_before <= visible, sorted(visible_before - visible)[:5]
        visible_before = visible
    assert visible_before == {w.strip() for w in words}


async def test_a_write_outside_the_bucket_does_not_wait_for_a_slot():
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    sink = RecordingSink(clock)
    deltas = [f"{i} " for i in range(1000)]
    relay = Relay(sink, pacer, LAYOUT, model="m", clock=clock)
    task = asyncio.create_task(relay.run(script(clock, deltas, 0.05, completed(1000))))
    await clock.advance(1.2)  # first text written; the next slot is ~1 s away
    for _ in range(5):
        pacer.bucket(sink.bucket).budget.grant(clock.now())  # another reply used the bucket
    writes = len(sink.log)
    sink.free.add(0)  # e.g. a button press on page 0 answers the next write
    relay.stop("stopped", "by Ann")
    relay.wake()
    await clock.advance(0.05)
    assert task.done()
    outcome = task.result()
    assert len(sink.log) == writes + 1  # the final write went at once
    assert sink.log[-1][0] - clock.now() > -0.06
    assert "⏹️ Stopped by Ann." in sink.messages[0]
    assert not sink.live[0]
    assert outcome.final_written


async def test_the_footer_names_the_model_that_answered_and_live_pages_are_marked():
    clock = FakeClock()
    sink = RecordingSink(clock)

    async def events() -> AsyncIterator[StreamEvent]:
        yield Started("resp_1", "served-name")
        await clock.sleep(0.2)
        yield TextDelta("hello ")
        await clock.sleep(2)
        yield Started("resp_2", "")  # some servers send response.created again: harmless
        yield TextDelta("world")
        yield Finished("completed", usage=Usage(1, 2), model="final-name")

    relay, outcome = await run_relay(clock, sink, events(), seconds=10)
    assert outcome.model == "final-name"
    assert outcome.response_id == "resp_1"
    assert sink.messages[0].endswith(
        "-# final-name · first token 0.20 s · total 2.20 s · 2 tokens · 1 tok/s"
    )
    assert any(op == "send" for _, op, _, _ in sink.log)
    assert sink.live == [False]  # the final write removed the live state
    assert relay.state.requested_model == "test-model"


async def test_staleness_is_counted_at_the_write_that_showed_each_delta():
    """Each delta is sampled once, when the first page holding it landed: a full page's
    words at that page's final write, the current page's at its latest write."""
    clock = FakeClock()
    sink = RecordingSink(clock)
    deltas = [f"w{i:04d} " for i in range(700)]  # 4200 characters: three messages
    arrivals: dict[str, float] = {}
    samples: list[float] = []
    events = script(clock, deltas, 0.01, completed(700))

    async def timed() -> AsyncIterator[StreamEvent]:
        async for event in events:
            if isinstance(event, TextDelta):
                arrivals[event.text.strip()] = clock.now()
            yield event

    relay = Relay(
        sink,
        Pacer(clock=clock),
        LAYOUT,
        model="test-model",
        clock=clock,
        hooks=Hooks(on_shown=lambda staleness, _live: samples.extend(staleness)),
    )
    task = asyncio.create_task(relay.run(timed()))
    await clock.advance(60)
    await task
    # When each word first appeared in any message, from the sink's log.
    first_seen: dict[str, float] = {}
    for t, _, _, content in sink.log:
        for word in re.findall(r"w\d{4}", content):
            first_seen.setdefault(word, t)
    expected = [first_seen[word] - arrivals[word] for word in arrivals]
    assert len(sink.messages) == 3
    assert len(samples) == len(deltas)
    assert samples == pytest.approx(expected, abs=1e-6)
