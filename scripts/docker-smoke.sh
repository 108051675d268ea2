#!/usr/bin/env bash
# Build the image and run it against the fake Discord and fake Responses API (started
# on the host, reached over the host network). Asserts: the reply streams and ends with
# the footer, the container turns healthy, `docker stop` exits 0 within the grace
# period (an in-flight reply is marked interrupted), and the bot runs as non-root.
#
#   PYTHON_IMAGE=<a local Python 3.11+ image>    # where Docker Hub is not reachable
#   scripts/docker-smoke.sh
#
# DOCKER (default: docker) is the engine command; PYTHON_IMAGE the base image.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER=${DOCKER:-docker}
PYTHON_IMAGE=${PYTHON_IMAGE:-python:3.11-slim-bookworm}
IMAGE=${SMOKE_IMAGE:-relaybot:smoke}

if ! command -v "${DOCKER%% *}" >/dev/null 2>&1 || ! $DOCKER info >/dev/null 2>&1; then
    echo "skipped: no Docker engine"
    exit 0
fi

echo "== build $IMAGE (base $PYTHON_IMAGE)"
DOCKER_BUILDKIT=1 $DOCKER build --quiet --network host \
    --build-arg PYTHON_IMAGE="$PYTHON_IMAGE" -t "$IMAGE" . >/dev/null
size=$($DOCKER image inspect -f '{{.Size}}' "$IMAGE")
base=$($DOCKER image inspect -f '{{.Size}}' "$PYTHON_IMAGE")
echo "image: $((size / 1000000)) MB, base: $((base / 1000000)) MB, added: $(((size - base) / 1000000)) MB"

PY=python3
command -v python >/dev/null 2>&1 && PY=python
export DOCKER IMAGE
"$PY" -m uv run --locked python -m scripts.docker_smoke
