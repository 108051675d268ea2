# relaybot image: dependencies from uv.lock in their own layer, then the project;
# the runtime stage has only Python and the virtualenv (no uv, no build tools).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# uv from PyPI, pinned, in a throwaway venv of the build stage only.
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --quiet "uv==0.13.8"
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN /opt/uv/bin/uv sync --locked --no-dev --no-install-project
COPY README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN /opt/uv/bin/uv sync --locked --no-dev --no-editable

FROM ${PYTHON_IMAGE}
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BOT_DATA_DIR=/data \
    BOT_LOG_FORMAT=json
RUN groupadd --system --gid 10001 relaybot \
    && useradd --system --uid 10001 --gid relaybot --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin relaybot \
    && mkdir /data && chown relaybot:relaybot /data
COPY --from=build --chown=relaybot:relaybot /app/.venv /app/.venv
WORKDIR /app
USER relaybot
# Fail the build, not the deployment, if the installed bot cannot import.
RUN python -c "import bot.__main__, bot.discord_front.client, cogs.chat"
VOLUME ["/data"]
# The bot drains replies on SIGTERM (BOT_SHUTDOWN_GRACE, default 10 s) and exits 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "healthcheck"]
CMD ["python", "-m", "bot"]
