"""Discord's hard limits and rate-limit facts the bot relies on, in one place."""

from __future__ import annotations

from typing import Final

#: Characters in one message's ``content`` (the relay writes plain content, no embeds).
MESSAGE_LIMIT: Final = 2000

#: Observed bucket for creating/editing messages in one channel: 5 writes per 5 s.
#: Interaction-token (webhook) edits get their own bucket of the same size by default.
CHANNEL_WRITES: Final = 5
CHANNEL_WINDOW: Final = 5.0

#: Discord JSON error codes meaning a reply can no longer be written.
UNKNOWN_MESSAGE: Final = 10008
UNKNOWN_WEBHOOK: Final = 10015
UNKNOWN_INTERACTION: Final = 10062
INVALID_WEBHOOK_TOKEN: Final = 50027
