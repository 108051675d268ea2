"""End-to-end latency of the real bot against the fakes, plus the relay's CPU cost per delta.

    uv run python -m benchmarks.run                        # full run, rewrites docs/performance.md
    uv run python -m benchmarks.run --quick                # ~4 s replies, prints only
    uv run python -m benchmarks.run --scenario 1-stream    # one scenario (both rates)
    uv run python -m benchmarks.run --scenario relay-cpu   # only the CPU measurement
    uv run python -m benchmarks.run --scenario context     # only reading a reply chain
    uv run python -m benchmarks.run --scenario store       # only the store's cost per reply
    uv run python -m benchmarks.run --scenario load        # only the burst of 100 mentions
                                                   # (the bot in its own process)
    uv run python -m benchmarks.run --scenario soak        # 5,000 replies, the bot's memory
                                                   # (minutes; never part of the full run)
    uv run python -m benchmarks.run --scenario 1-stream --http   # with the HTTP server on,
                                                   # a live-view client and a /metrics scraper

The bot is the real one (``bot.discord_front.client.RelayBot``: discord.py, AsyncOpenAI,
the pacer, the relay), run in this process against ``tests.fakes.discord_api.FakeDiscord``
(5 writes per 5 s per channel, sliding window) and ``tests.fakes.responses_api.FakeResponses``,
both on 127.0.0.1. The burst (``load``) and the soak run the bot in its own process
instead (``benchmarks.process``). See docs/performance.md for what each number means.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from typing import Any

from benchmarks.analysis import ScenarioResult, mean, p95
from benchmarks.context import context_table, measure_context
from benchmarks.cpu import CPU_SIZES, QUICK_CPU_SIZES, CpuResult, measure_cpu
from benchmarks.load import load_table, measure_load
from benchmarks.report import report, write_docs
from benchmarks.scenarios import (
    FULL_DELTAS,
    LOG_STREAM,
    QUICK_DELTAS,
    RATES,
    SCENARIOS,
    WARMUP_DELTAS,
    Scenario,
    run_scenario,
)
from benchmarks.soak import REPLIES as SOAK_REPLIES
from benchmarks.soak import measure_soak, soak_table
from benchmarks.store import measure_store, store_table
from bot.logs import configure_logging

CPU_SCENARIO = "relay-cpu"
CONTEXT_SCENARIO = "context"
STORE_SCENARIO = "store"
LOAD_SCENARIO = "load"
SOAK_SCENARIO = "soak"  # minutes long: only when asked for


async def run_all(
    chosen: list[Scenario], deltas: int, *, http: bool = False
) -> tuple[list[ScenarioResult], Any]:
    results = []
    warmup = None
    if chosen:
        # The first request of a process pays the SDK's one-time warm-up (~0.1 s): keep it
        # out of the scored scenarios, like a bot that has been running for a while.
        warmup = await run_scenario(Scenario("warm-up", (10,), "warm-up"), 200, WARMUP_DELTAS)
    for scenario in chosen:
        for rate in RATES:
            print(f"running {scenario.name} at {rate} tok/s ({deltas} deltas/reply)…", flush=True)
            gc.collect()  # don't charge this scenario with collecting the previous one's garbage
            result = await run_scenario(scenario, rate, deltas, http=http)
            print(
                f"  first visible {mean(result.first_visible) * 1000:.0f}/"
                f"{max(result.first_visible) * 1000:.0f} ms, staleness "
                f"{mean(result.staleness):.2f}/{p95(result.staleness):.2f} s, completion "
                f"{mean(result.completion):.2f}/{max(result.completion):.2f} s, 429s "
                f"{result.fake_429}/{result.bot_429}, wall {result.wall:.1f} s",
                flush=True,
            )
            if result.observed is not None:
                seen = result.observed
                print(
                    f"  http: live view {seen.live_events} events ({seen.live_bytes} B), "
                    f"{seen.scrapes} scrapes; /metrics staleness mean {seen.staleness_mean:.3f} s "
                    f"over {seen.staleness_count:.0f} samples vs measured "
                    f"{mean(result.staleness):.3f} s over {len(result.staleness)}",
                    flush=True,
                )
            results.append(result)
    return results, warmup


def main(argv: list[str] | None = None) -> int:
    names = [s.name for s in SCENARIOS]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="~4 s replies (smoke run)")
    parser.add_argument(
        "--scenario",
        choices=[
            *names,
            CPU_SCENARIO,
            CONTEXT_SCENARIO,
            STORE_SCENARIO,
            LOAD_SCENARIO,
            SOAK_SCENARIO,
        ],
        help="run only this scenario (both rates)",
    )
    parser.add_argument(
        "--soak-replies",
        type=int,
        default=SOAK_REPLIES,
        metavar="N",
        help=f"replies in --scenario soak (default {SOAK_REPLIES:,})",
    )
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/performance.md")
    parser.add_argument(
        "--http",
        action="store_true",
        help="run the HTTP server with a live-view client and a /metrics scraper (prints only)",
    )
    args = parser.parse_args(argv)

    logging_stream = LOG_STREAM
    configure_logging(log_format="json", level="WARNING", stream=logging_stream)

    chosen = [s for s in SCENARIOS if args.scenario in {None, s.name}]
    deltas = QUICK_DELTAS if args.quick else FULL_DELTAS
    started = time.monotonic()
    results, warmup = asyncio.run(run_all(chosen, deltas, http=args.http))
    cpu: list[CpuResult] = []
    if args.scenario in {None, CPU_SCENARIO}:
        print("measuring relay CPU…", flush=True)
        cpu = measure_cpu(QUICK_CPU_SIZES if args.quick else CPU_SIZES)
    extra: list[str] = []
    if args.scenario in {None, CONTEXT_SCENARIO}:
        print("measuring context reading…", flush=True)
        extra = context_table(measure_context())
    if args.scenario in {None, STORE_SCENARIO}:
        print("measuring the store…", flush=True)
        extra += store_table(measure_store())
    if args.scenario in {None, LOAD_SCENARIO}:
        print("running the burst of mentions…", flush=True)
        gc.collect()
        extra += load_table(measure_load())
    if args.scenario == SOAK_SCENARIO:
        print(f"running the soak ({args.soak_replies:,} replies)…", flush=True)
        extra += soak_table(measure_soak(args.soak_replies))
    lines = report(results, cpu, warmup, quick=args.quick, extra=extra)
    print()
    print("\n".join(lines))
    print(f"total time {time.monotonic() - started:.0f} s")
    if not (args.quick or args.scenario or args.no_docs or args.http):
        write_docs(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
