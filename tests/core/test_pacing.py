import asyncio
import itertools

import pytest

from bot.core.pacing import FINAL, FIRST, PROGRESS, SERIAL_LEASE, Bucket, Budget, Pacer, Rate
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


async def test_a_budget_counted_until_answered_holds_slots_while_requests_are_out():
    clock = FakeClock()
    budget = Budget(2, 1.0, margin=0.0, even=False, until_answered=True)
    bucket = Bucket(budget, clock)
    assert bucket.try_acquire()
    assert bucket.try_acquire()
    # Both requests are still out: however long they take, no third one starts.
    await clock.advance(5.0)
    assert not bucket.try_acquire()
    bucket.answered()  # the first was answered now: its slot ages from now
    assert not bucket.try_acquire()
    await clock.advance(0.5)
    assert not bucket.try_acquire()
    await clock.advance(0.6)
    assert bucket.try_acquire()


def test_learning_follows_the_stated_limit_window_and_an_empty_bucket():
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.observe("channel:1", limit=3, remaining=2, reset_after=5.0)  # a fresh window
    assert pacer.rate("channel:2") == Rate(3, 5.0)  # new channels start from what was learned
    budget = pacer.bucket("channel:1").budget
    assert (budget.limit, budget.window) == (3, 5.0)
    pacer.observe("channel:1", limit=3, remaining=0, reset_after=2.0)
    assert budget.next_allowed(clock.now()) >= clock.now() + 2.0  # held until Discord's reset
    pacer.observe("channel:1", limit=10, remaining=9, reset_after=10.0)
    assert (budget.limit, budget.window) == (10, 10.0)


def test_first_texts_use_idle_capacity_but_keep_a_reserve():
    budget = Budget(5, 5.0, margin=0.25)
    for _ in range(4):  # four first texts at once: no spacing while the window has room
        assert budget.next_allowed(0.0, eager=True) == 0.0
        budget.grant(0.0)
    # The last slot is kept for the steady edits, and spent halfway to when the burst
    # leaves the window (not at once, which would leave 4.2 s of silence after it).
    assert budget.next_allowed(0.0, eager=True) == pytest.approx(2.625)
    assert budget.next_allowed(0.0) == pytest.approx(2.625)
    budget.grant(2.625)
    assert budget.next_allowed(2.625) == pytest.approx(5.25)  # the window is full
    budget.grant(5.25)
    # The burst left: even spacing again (the spreading never slows a steady stream).
    assert budget.next_allowed(5.25) == pytest.approx(6.3)


def test_a_serial_write_counts_in_the_window_from_its_answer():
    budget = Budget(2, 5.0, margin=0.0, even=False, serial=True)
    budget.grant(0.0)
    assert budget.next_allowed(0.5) > 0.5  # one write out at a time
    budget.answered(3.0)  # it left late on a busy loop: Discord saw it by 3.0
    assert budget.next_allowed(3.0) == 3.0
    budget.grant(3.1)
    budget.answered(3.2)
    assert budget.next_allowed(5.5) == pytest.approx(8.0)  # not 5.0: counted from the answer
    budget.answered(9.0)  # an answer without a write out moves nothing
    assert budget.next_allowed(8.0) == pytest.approx(8.0)


async def test_a_serial_bucket_waits_for_the_release_and_a_lost_one_expires():
    clock = FakeClock()
    pacer = Pacer(Rate(5, 5.0), margin=0.0, serial=True, clock=clock)
    await pacer.acquire("channel:1", FIRST)
    second = asyncio.create_task(pacer.acquire("channel:1", FIRST))
    await clock.advance(0.5)
    assert not second.done()  # the first write has no answer yet
    pacer.release("channel:1")
    await clock.advance(0)
    assert second.done()
    # A writer that never releases (cancelled between grant and write) blocks the bucket
    # only until the lease runs out.
    third = asyncio.create_task(pacer.acquire("channel:1", FIRST))
    await clock.advance(SERIAL_LEASE - 1)
    assert not third.done()
    await clock.advance(1.5)
    assert third.done()
