"""The core: model stream, requests, pacing, the relay and the reply service; no front."""
