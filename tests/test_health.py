import json
import time

from bot import health


def test_fresh_heartbeat_is_healthy(tmp_path):
    path = health.heartbeat_path(tmp_path)
    health.write_heartbeat(path, {"latency_s": 0.05})
    healthy, line = health.check(path)
    assert healthy
    assert line.startswith("healthy: heartbeat ")
    assert json.loads(path.read_text())["latency_s"] == 0.05


def test_stale_missing_and_broken_heartbeats_are_unhealthy(tmp_path):
    path = health.heartbeat_path(tmp_path)
    healthy, line = health.check(path)
    assert not healthy
    assert "no heartbeat" in line
    health.write_heartbeat(path, {})
    healthy, line = health.check(path, now=time.time() + health.MAX_AGE + 5)
    assert not healthy
    assert "gateway down or loop stuck" in line
    path.write_text("{not json")
    assert health.check(path)[0] is False


def test_clear_removes_the_file(tmp_path):
    path = health.heartbeat_path(tmp_path)
    health.write_heartbeat(path, {})
    health.clear_heartbeat(path)
    health.clear_heartbeat(path)  # twice is fine
    assert not path.exists()
