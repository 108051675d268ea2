"""Operator scripts (the Docker smoke test)."""
