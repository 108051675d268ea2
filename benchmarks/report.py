"""The report: markdown tables, verdicts against the targets, docs/performance.md's results."""

from __future__ import annotations

import contextlib
import math
import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from benchmarks.analysis import ScenarioResult, mean, p95
from benchmarks.cpu import CPU_RATE, CpuResult

DOCS = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
# The markers as they stand in that file (the begin marker predates the split into modules).
BEGIN = "<!-- results:begin (written by benchmarks/run.py) -->"
END = "<!-- results:end -->"

# Targets.
FIRST_VISIBLE_MS = 50.0
STALENESS_S = 0.65
COMPLETION_S = 1.1
WRITE_RATE = (0.8, 1.05)  # "about one write per second" per channel while streaming
WRITE_GAP = 1.5  # s, and never much longer than that without a write
CPU_GROWTH = 1.5  # per-delta CPU at the largest N may be at most this times that at N=1000


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def results_table(results: list[ScenarioResult]) -> list[str]:
    lines = [
        (
            "| scenario | tok/s | deltas/reply | first visible text, ms (mean / max) "
            "| staleness, s (mean / p95) | completion lag, s (mean / max) | writes/reply "
            "| messages/reply | 429s (fake / bot) | writes/s per channel while streaming |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rates = list(r.write_rate.values())
        rate_text = f"{rates[0]:.2f}" if len(rates) == 1 else f"{min(rates):.2f} - {max(rates):.2f}"
        rate_text += f" (longest gap {max(r.write_gap.values()):.2f} s)"
        lines.append(
            f"| {r.name} | {r.rate} | {r.deltas} "
            f"| {mean(r.first_visible) * 1000:.0f} / {max(r.first_visible) * 1000:.0f} "
            f"| {mean(r.staleness):.2f} / {p95(r.staleness):.2f} "
            f"| {mean(r.completion):.2f} / {max(r.completion):.2f} "
            f"| {mean([s.writes for s in r.streams]):.1f} "
            f"| {mean([s.messages for s in r.streams]):.1f} "
            f"| {r.fake_429} / {r.bot_429} | {rate_text} |"
        )
    return lines


def targets_table(results: list[ScenarioResult]) -> list[str]:
    lines = [
        (
            f"| scenario | tok/s | first visible ≤ {FIRST_VISIBLE_MS:.0f} ms (max) "
            f"| mean staleness ≤ {STALENESS_S} s | completion lag ≤ {COMPLETION_S} s (max) "
            f"| zero 429s | ~1 write/s per channel ({WRITE_RATE[0]}-{WRITE_RATE[1]}/s, "
            f"no gap > {WRITE_GAP} s) |"
        ),
        "|---|---:|---|---|---|---|---|",
    ]
    for r in results:
        first = max(r.first_visible) * 1000
        stale = mean(r.staleness)
        done = max(r.completion)
        zero = r.fake_429 == 0 and r.bot_429 == 0
        rates = list(r.write_rate.values())
        gap = max(r.write_gap.values())
        steady = all(WRITE_RATE[0] <= x <= WRITE_RATE[1] for x in rates) and gap <= WRITE_GAP
        lines.append(
            f"| {r.name} | {r.rate} "
            f"| {verdict(first <= FIRST_VISIBLE_MS)} ({first:.0f} ms) "
            f"| {verdict(stale <= STALENESS_S)} ({stale:.2f} s) "
            f"| {verdict(done <= COMPLETION_S)} ({done:.2f} s) "
            f"| {verdict(zero)} ({r.fake_429 + r.bot_429}) "
            f"| {verdict(steady)} ({min(rates):.2f}-{max(rates):.2f}/s, gap {gap:.2f} s) |"
        )
    return lines


def per_stream_table(results: list[ScenarioResult]) -> list[str]:
    lines = [
        (
            "| scenario | tok/s | reply | channel | first visible, ms "
            "| staleness mean / p95 / max, s | completion lag, s | writes | messages |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if len(r.streams) == 1:
            continue
        lines.extend(
            f"| {r.name} | {r.rate} | {s.reply} | {s.channel} | {s.first_visible * 1000:.0f} "
            f"| {mean(s.staleness):.2f} / {p95(s.staleness):.2f} / {max(s.staleness):.2f} "
            f"| {s.completion:.2f} | {s.writes} | {s.messages} |"
            for s in r.streams
        )
    return lines


def diagnostics_table(results: list[ScenarioResult]) -> list[str]:
    lines = [
        (
            "| scenario | tok/s | wall, s | process CPU, % of one core "
            "| event-loop lag p99 / max, ms | max writes in any 5 s per channel "
            "| shown text shrank: writes / words / longest, s "
            "| failed writes | text intact + footer | warnings |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lag_p99 = sorted(r.loop_lag)[int(0.99 * (len(r.loop_lag) - 1))] if r.loop_lag else math.nan
        intact = all(s.text_intact and s.final_footer and not s.missing for s in r.streams)
        lines.append(
            f"| {r.name} | {r.rate} | {r.wall:.1f} | {r.cpu / r.wall * 100:.0f} "
            f"| {lag_p99 * 1000:.1f} / {max(r.loop_lag, default=math.nan) * 1000:.1f} "
            f"| {max(r.max_in_window.values())} "
            f"| {sum(s.shrinks for s in r.streams)} / {sum(s.hidden_words for s in r.streams)} "
            f"/ {max(s.longest_hidden for s in r.streams):.2f} | {r.failed_writes} "
            f"| {'yes' if intact else 'NO'} | {len(r.warnings)} |"
        )
    return lines


def cpu_table(results: list[CpuResult]) -> list[str]:
    lines = [
        (
            "| pacing | deltas | reply size | writes | messages | CPU per 1000 deltas, ms "
            "| driver alone, ms | relay net, ms | output intact |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines.extend(
        f"| {c.mode} | {c.deltas:,} | {c.kilobytes:,.0f} KB | {c.writes:,} | {c.messages} "
        f"| {c.per_1000(c.cpu):.1f} | {c.per_1000(c.driver):.1f} "
        f"| {c.per_1000(c.cpu - c.driver):.1f} | {'yes' if c.intact else 'NO'} |"
        for c in results
    )
    return lines


def cpu_verdicts(results: list[CpuResult]) -> list[str]:
    lines = []
    for mode in ("paced", "unthrottled"):
        mine = sorted((c for c in results if c.mode == mode), key=lambda c: c.deltas)
        if len(mine) < 2:
            continue
        small, large = mine[0], mine[-1]
        growth = large.per_1000(large.cpu) / small.per_1000(small.cpu)
        lines.append(
            f"- relay CPU per delta does not grow with reply length ({mode}): "
            f"**{verdict(growth <= CPU_GROWTH)}** — {large.per_1000(large.cpu):.1f} ms per 1000 "
            f"deltas at N={large.deltas:,} vs {small.per_1000(small.cpu):.1f} at "
            f"N={small.deltas:,} (x{growth:.2f}; target ≤ x{CPU_GROWTH})"
        )
    return lines


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("discord.py", "openai", "aiohttp")
    )
    return (
        f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {versions}"
    )


def report(
    results: list[ScenarioResult],
    cpu: list[CpuResult],
    warmup: ScenarioResult | None,
    *,
    quick: bool,
    extra: list[str] | None = None,
) -> list[str]:
    out = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"Command: `uv run python -m benchmarks.run{' --quick' if quick else ''}`.",
        "",
    ]
    if results:
        out += ["### Results", "", *results_table(results), ""]
        out += ["### Against the targets", "", *targets_table(results), ""]
        if cpu:
            out += [*cpu_verdicts(cpu), ""]
        streams = per_stream_table(results)
        if len(streams) > 2:
            out += ["### Per reply (multi-stream scenarios)", "", *streams, ""]
        out += ["### Diagnostics", "", *diagnostics_table(results), ""]
        if warmup is not None:
            out += [
                (
                    f"Warm-up reply (not scored, first request of the process): first visible text "
                    f"{warmup.first_visible[0] * 1000:.0f} ms, completion lag "
                    f"{warmup.completion[0]:.2f} s."
                ),
                "",
            ]
    if cpu:
        out += [
            f"### Relay CPU (no network, virtual clock at {CPU_RATE:.0f} tok/s)",
            "",
            *cpu_table(cpu),
            "",
        ]
        if not results:
            out += [*cpu_verdicts(cpu), ""]
    out += extra or []
    notes = [
        f"- {r.name} @ {r.rate}: {note}"
        for r in results
        for note in [*r.anomalies, *r.warnings][:12]
    ]
    out += ["### Anomalies and warnings", "", *(notes or ["None."]), ""]
    return out


def write_docs(lines: list[str]) -> None:
    block = "\n".join([BEGIN, *lines, END])
    if DOCS.exists() and BEGIN in (text := DOCS.read_text()) and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        DOCS.write_text(head + block + tail)
    else:
        DOCS.parent.mkdir(parents=True, exist_ok=True)
        DOCS.write_text(f"# Performance\n\n{block}\n")
    print(f"\nwrote {DOCS}")
