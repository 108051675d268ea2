"""The relay's CPU cost per delta, without network.

The real ``Relay`` and ``Pacer`` write into a recording sink on a virtual clock that the
driver moves forward one delta at a time; "driver alone" is the same generator without a relay.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from benchmarks.replies import FOOTER, LIVE_INDICATOR, MODEL, WORD, reply_text
from bot.core.events import Finished, Started, TextDelta, Usage
from bot.core.pacing import Pacer, Rate
from bot.core.relay import Relay
from bot.discord_front.layout import MessageLayout
from tests.fakes.responses_api import split_words
from tests.support.clock import FakeClock
from tests.support.sinks import RecordingSink

CPU_SIZES = (1_000, 10_000, 100_000)
QUICK_CPU_SIZES = (1_000, 10_000)
CPU_RATE = 200.0  # virtual tokens per second fed to the relay in the CPU measurement


@dataclass
class CpuResult:
    mode: str
    deltas: int
    kilobytes: float
    writes: int
    messages: int
    cpu: float  # s, relay run including the driver
    driver: float  # s, the driver alone (same generator, no relay)
    intact: bool

    def per_1000(self, seconds: float) -> float:
        return seconds / self.deltas * 1000 * 1000  # ms per 1000 deltas


async def feed(
    pieces: list[str], clock: FakeClock, fed: asyncio.Event
) -> AsyncIterator[Started | TextDelta | Finished]:
    """The model stream: one delta per 1/CPU_RATE virtual seconds, yielding the loop each time."""
    step = 1 / CPU_RATE
    yield Started("resp_bench", MODEL)
    for piece in pieces:
        clock.tick(step)
        yield TextDelta(piece)
        await asyncio.sleep(0)
    fed.set()
    yield Finished("completed", usage=Usage(input_tokens=1, output_tokens=len(pieces)))


def make_pacer(mode: str, clock: FakeClock) -> Pacer:
    """The one place the pacer is built: the bot's real budget, or a stress-case one."""
    if mode == "paced":
        return Pacer(clock=clock)  # Discord's budget: 5 writes per 5 s (+0.25 s margin)
    return Pacer(Rate(1000, 1.0), clock=clock)


def make_relay(sink: RecordingSink, pacer: Pacer, clock: FakeClock) -> Relay:
    """The one place the relay is built."""
    return Relay(sink, pacer, MessageLayout(), model=MODEL, clock=clock)


async def relay_cpu(pieces: list[str], mode: str) -> tuple[float, RecordingSink, int]:
    clock = FakeClock(0.0)
    pacer = make_pacer(mode, clock)
    sink = RecordingSink()
    relay = make_relay(sink, pacer, clock)
    fed = asyncio.Event()
    gc.collect()
    start = time.process_time()
    task = asyncio.create_task(relay.run(feed(pieces, clock, fed)))
    await fed.wait()
    while not task.done():  # let virtual time pass until the final write got its slot
        clock.tick(0.01)
        await asyncio.sleep(0)
    outcome = task.result()
    return time.process_time() - start, sink, outcome.messages


async def driver_cpu(pieces: list[str]) -> float:
    clock = FakeClock(0.0)
    fed = asyncio.Event()
    gc.collect()
    start = time.process_time()
    async for _ in feed(pieces, clock, fed):
        pass
    return time.process_time() - start


def measure_cpu(sizes: tuple[int, ...]) -> list[CpuResult]:
    results = []
    for mode in ("paced", "unthrottled"):
        for n in sizes:
            text = reply_text(0, n)
            pieces = split_words(text)
            repeats = 5 if n <= 10_000 else 2
            best: tuple[float, RecordingSink, int] | None = None
            for _ in range(repeats):
                run = asyncio.run(relay_cpu(pieces, mode))
                if best is None or run[0] < best[0]:
                    best = run
            assert best is not None
            driver = min(asyncio.run(driver_cpu(pieces)) for _ in range(repeats))
            cpu, sink, messages = best
            words = [int(k) for content in sink.messages for _, k in WORD.findall(content)]
            intact = (
                words == list(range(n))
                and FOOTER in sink.messages[-1]
                and not any(LIVE_INDICATOR in c for c in sink.messages)
            )
            results.append(
                CpuResult(
                    mode=mode,
                    deltas=n,
                    kilobytes=len(text.encode()) / 1000,
                    writes=sink.writes,
                    messages=messages,
                    cpu=cpu,
                    driver=driver,
                    intact=intact,
                )
            )
            print(
                f"  relay CPU {mode:<11} N={n:>7,}: "
                f"{results[-1].per_1000(cpu):7.1f} ms/1000 deltas "
                f"(driver alone {results[-1].per_1000(driver):.1f}), {sink.writes} writes, "
                f"{messages} messages",
                flush=True,
            )
    return results
