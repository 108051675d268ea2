"""Discord's hard limits and rate-limit facts the bot relies on, in one place."""

from __future__ import annotations

from typing import Final

#: Characters in one message's ``content`` (the relay writes plain content, no embeds).
MESSAGE_LIMIT: Final = 2000

#: Observed bucket for creating/editing messages in one channel: 5 writes per 5 s.
#: Interaction-token (webhook) edits get their own bucket of the same size by default.
CHANNEL_WRITES: Final = 5
CHANNEL_WINDOW: Final = 5.0
#: Requests per second a bot may make across all routes (interaction endpoints aside).
GLOBAL_REQUESTS: Final = 50
#: Seconds an interaction token may be used for followups and edits.
INTERACTION_TOKEN_LIFETIME: Final = 15 * 60.0

#: Discord JSON error codes meaning a reply can no longer be written.
UNKNOWN_MESSAGE: Final = 10008
UNKNOWN_WEBHOOK: Final = 10015
UNKNOWN_INTERACTION: Final = 10062
INVALID_WEBHOOK_TOKEN: Final = 50027
#: ... and meaning the bot may not write in that channel at all.
UNKNOWN_CHANNEL: Final = 10003
MISSING_ACCESS: Final = 50001
MISSING_PERMISSIONS: Final = 50013
