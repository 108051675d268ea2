import asyncio
import itertools

from bot.core.pacing import FINAL, FIRST, PROGRESS, Budget, Pacer
from tests.support.clock import FakeClock


def test_budget_spaces_writes_evenly_and_never_exceeds_window():
    budget = Budget(limit=5, window=5.0, margin=0.25)
    now, grants = 0.0, []
    for _ in range(30):
        now = budget.next_allowed(now)
        budget.grant(now)
        grants.append(now)
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    assert min(gaps) >= budget.spacing - 1e-9
    for i in range(len(grants) - 5):
        assert grants[i + 5] - grants[i] >= 5.25 - 1e-9  # any 6 writes span more than the window


def test_budget_idle_bucket_grants_immediately():
    budget = Budget(limit=5, window=5.0)
    assert budget.next_allowed(10.0) == 10.0
    budget.grant(10.0)
    assert budget.next_allowed(10.2) == 10.0 + budget.spacing
    assert budget.next_allowed(20.0) == 20.0


async def test_bucket_is_fair_between_replies_and_final_goes_first():
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    order: list[str] = []

    async def writer(name: str, count: int, priority: int = PROGRESS) -> None:
        for _ in range(count):
            await pacer.acquire("channel:1", priority)
            order.append(name)
            await clock.sleep(0.05)  # the write itself takes a moment

    tasks = [asyncio.create_task(writer(n, 3)) for n in "abc"]
    await clock.advance(0.5)
    final = asyncio.create_task(writer("F", 1, FINAL))
    await clock.advance(20)
    await asyncio.gather(*tasks, final)
    assert order[:1] == ["a"]
    assert order[1] == "F"  # the final write jumped the queue
    progress = [n for n in order if n != "F"]
    assert progress == ["a", "b", "c"] * 3


async def test_first_text_goes_before_progress_edits():
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    order: list[str] = []

    async def writer(name: str, priority: int) -> None:
        await pacer.acquire("channel:1", priority)
        order.append(name)

    await pacer.acquire("channel:1")
    tasks = [asyncio.create_task(writer(f"p{i}", PROGRESS)) for i in range(3)]
    await clock.advance(0.1)
    tasks.append(asyncio.create_task(writer("first", FIRST)))
    await clock.advance(10)
    await asyncio.gather(*tasks)
    assert order == ["first", "p0", "p1", "p2"]


async def test_channels_do_not_share_budgets():
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    start = clock.now()
    times: dict[str, list[float]] = {"channel:1": [], "channel:2": []}

    async def writer(key: str) -> None:
        for _ in range(4):
            await pacer.acquire(key)
            times[key].append(clock.now() - start)

    tasks = [asyncio.create_task(writer(k)) for k in times]
    await clock.advance(10)
    await asyncio.gather(*tasks)
    assert times["channel:1"] == times["channel:2"]
    assert times["channel:1"][0] == 0.0


async def test_cancelled_waiter_leaves_the_queue():
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    await pacer.acquire("channel:1")
    waiter = asyncio.create_task(pacer.acquire("channel:1"))
    await clock.advance(0.1)
    assert pacer.bucket("channel:1").waiting == 1
    waiter.cancel()
    await clock.advance(0.1)
    assert pacer.bucket("channel:1").waiting == 0


async def test_priority_is_read_when_the_slot_is_granted():
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    order: list[str] = []
    ended = False

    async def writer(name: str, priority) -> None:
        await pacer.acquire("channel:1", priority)
        order.append(name)

    await pacer.acquire("channel:1")
    early = asyncio.create_task(writer("progress", PROGRESS))
    late = asyncio.create_task(writer("became-final", lambda: FINAL if ended else PROGRESS))
    await clock.advance(0.2)
    ended = True  # its stream ended while it waited behind "progress"
    await clock.advance(5)
    await asyncio.gather(early, late)
    assert order == ["became-final", "progress"]


async def test_idle_buckets_are_forgotten():
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    await pacer.acquire("webhook:a")
    await pacer.acquire("channel:1")
    pacer.forget_idle()
    assert set(pacer._buckets) == {"webhook:a", "channel:1"}  # still inside their window
    await clock.advance(6)
    await pacer.acquire("channel:1")
    pacer.forget_idle()
    assert set(pacer._buckets) == {"channel:1"}
