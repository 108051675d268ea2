from datetime import UTC, datetime

from bot.core.guard import CostGuard, Limits, next_midnight
from bot.store.sqlite import SqliteStore


class Wall:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


async def test_in_flight_and_rate_limits_with_their_reset_times(tmp_path):
    store = await SqliteStore.open(tmp_path)
    wall = Wall(1_000_000.0)
    guard = CostGuard(store, Limits(in_flight=1, requests=2, window=60.0), wall=wall)
    try:
        assert await guard.admit("u", "g") is None
        busy = await guard.admit("u", "g")
        assert busy is not None
        assert busy.limit == "in_flight"
        assert await guard.admit("other", "g") is None  # one person's slot is theirs alone
        guard.release("u")
        wall.t += 10
        assert await guard.admit("u", "g") is None
        guard.release("u")
        wall.t += 5
        rate = await guard.admit("u", "g")
        assert rate is not None
        assert rate.limit == "requests"
        assert rate.resets_at == 1_000_060.0
        assert rate.text == ("You've asked 2 times in the last 1 min; you can ask again in 45 s.")
        wall.t = 1_000_060.5  # the first request left the window
        assert await guard.admit("u", "g") is None
    finally:
        await store.close()


def test_daily_budgets_reset_at_utc_midnight():
    noon = datetime(2026, 11, 22, 12, 0, tzinfo=UTC).timestamp()
    assert next_midnight(noon) == datetime(2026, 11, 23, tzinfo=UTC).timestamp()
