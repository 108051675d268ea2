"""``GET /metrics``: Prometheus metrics from the reply events and the fronts' counters.

Reply metrics are counted by a bus listener; gauges and the Discord counters are
read when Prometheus scrapes (a custom collector), so nothing is counted twice and
nothing is polled. Label values are bounded: triggers and endings are the bot's
own words, model error codes outside ``[a-z0-9_]`` become ``other``.

Staleness is measured where it happens: for each piece of text, from the moment
it arrived from the model to the moment the write that first showed it landed
(Discord answered the edit), so pacing waits and slow writes both count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.core.bus import ReplyBus, ReplyEvent, ReplyFinished, ReplyShown, ReplyStarted
from bot.core.conversation import estimate_tokens
from bot.core.status import FrontStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FAILURES = frozenset({"failed", "error", "interrupted"})
_CODE = re.compile(r"[a-z0-9_]{1,40}")
#: Triggers that are not Discord's: their writes are local, not Discord edits.
LOCAL_FRONTS = {"http": "http", "terminal": "terminal"}


def front_of(trigger: str) -> str:
    """Which front a trigger belongs to (Discord's are mention, reply, slash, dm, ...)."""
    return LOCAL_FRONTS.get(trigger, "discord")


class _FrontCollector(Collector):
    """Reads a front's gateway and request counters at scrape time."""

    def __init__(self, front: FrontStatus, in_flight: Callable[[], int]) -> None:
        self._front = front
        self._in_flight = in_flight

    def collect(self) -> Iterator[Metric]:
        gateway = self._front.gateway()
        up = GaugeMetricFamily(
            "relaybot_gateway_connected", "1 while the gateway connection is open", labels=["front"]
        )
        up.add_metric([self._front.name], 1.0 if gateway.connected else 0.0)
        yield up
        latency = GaugeMetricFamily(
            "relaybot_gateway_latency_seconds",
            "Gateway heartbeat round trip (absent until measured)",
            labels=["front"],
        )
        if gateway.latency is not None:
            latency.add_metric([self._front.name], gateway.latency)
        yield latency
        traffic = self._front.traffic()
        requests = CounterMetricFamily(
            "relaybot_discord_requests",
            "Requests to Discord's REST API by kind (send, edit, respond, typing, read, other) "
            "and HTTP status",
            labels=["kind", "status"],
        )
        for (kind, status), count in sorted(traffic.requests.items()):
            requests.add_metric([kind, status], count)
        yield requests
        limited = CounterMetricFamily(
            "relaybot_discord_rate_limited",
            "429 answers from Discord by the scope Discord gave",
            labels=["scope"],
        )
        for scope, count in sorted(traffic.rate_limited.items()):
            limited.add_metric([scope], count)
        yield limited


class Metrics:
    """The registry, fed by the bus and read by ``/metrics``."""

    def __init__(self, in_flight: Callable[[], int], front: FrontStatus | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.replies = Counter(
            "relaybot_replies",
            "Finished replies by trigger and ending (completed, incomplete, stopped, failed, "
            "error, interrupted, shutdown)",
            ["trigger", "status"],
            registry=r,
        )
        self.first_token = Histogram(
            "relaybot_reply_first_token_seconds",
            "From the request to the model's first text",
            ["trigger"],
            buckets=(0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 30, 60),
            registry=r,
        )
        self.total = Histogram(
            "relaybot_reply_total_seconds",
            "From the request to the reply's end",
            ["trigger"],
            buckets=(0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300),
            registry=r,
        )
        self.staleness = Histogram(
            "relaybot_reply_staleness_seconds",
            "Per piece of text: from its arrival from the model to the write that showed it",
            ["front"],
            buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5, 10),
            registry=r,
        )
        self.output_tokens = Counter(
            "relaybot_output_tokens",
            "Output tokens by the model that answered (as the server reported, else estimated)",
            ["model"],
            registry=r,
        )
        self.model_errors = Counter(
            "relaybot_model_errors",
            "Replies the model server failed, by error code (HTTP status, or the server's code)",
            ["code"],
            registry=r,
        )
        Gauge("relaybot_replies_in_flight", "Replies streaming now", registry=r).set_function(
            lambda: float(in_flight())
        )
        if front is not None:
            r.register(_FrontCollector(front, in_flight))
        self._fronts: dict[str, str] = {}  # reply id -> front, while in flight

    def attach(self, bus: ReplyBus) -> None:
        """Start counting the bus's events."""
        bus.listen(self.observe, "metrics")

    def observe(self, event: ReplyEvent) -> None:
        """Count one reply event."""
        if isinstance(event, ReplyStarted):
            self._fronts[event.reply_id] = front_of(event.origin.trigger)
        elif isinstance(event, ReplyShown):
            front = self._fronts.get(event.reply_id, "discord")
            histogram = self.staleness.labels(front)
            for seconds in event.staleness:
                histogram.observe(max(0.0, seconds))
        elif isinstance(event, ReplyFinished):
            self._fronts.pop(event.reply_id, None)
            self._finished(event)

    def _finished(self, event: ReplyFinished) -> None:
        outcome, trigger = event.outcome, event.origin.trigger
        self.replies.labels(trigger, outcome.ending).inc()
        if outcome.first_token is not None:
            self.first_token.labels(trigger).observe(outcome.first_token)
        self.total.labels(trigger).observe(outcome.total)
        usage = outcome.usage
        tokens = usage.output_tokens if usage else estimate_tokens(outcome.characters)
        if tokens:
            self.output_tokens.labels(outcome.model or event.request.model).inc(tokens)
        if outcome.ending in FAILURES:
            code = (outcome.code or "unknown").lower()
            self.model_errors.labels(code if _CODE.fullmatch(code) else "other").inc()

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
