"""Performance benchmarks: ``uv run python -m benchmarks.run`` (see docs/performance.md)."""
