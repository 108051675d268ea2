"""Discord's hard limits and rate-limit facts, in one place."""

from __future__ import annotations

from typing import Final

#: Characters in one message's ``content``.
MESSAGE_LIMIT: Final = 2000
#: Embed field limits; the relay writes plain content, the fakes enforce these.
EMBED_DESCRIPTION_LIMIT: Final = 4096
EMBED_TITLE_LIMIT: Final = 256
EMBED_FOOTER_LIMIT: Final = 2048
EMBED_TOTAL_LIMIT: Final = 6000
EMBEDS_PER_MESSAGE: Final = 10

#: Observed bucket for creating/editing messages in one channel: 5 writes per 5 s.
CHANNEL_WRITES: Final = 5
CHANNEL_WINDOW: Final = 5.0
#: Requests per second across the whole bot (interaction endpoints are exempt).
GLOBAL_REQUESTS_PER_SECOND: Final = 50

#: Seconds to acknowledge an interaction; the token then lives 15 minutes.
INTERACTION_ACK_DEADLINE: Final = 3.0
INTERACTION_TOKEN_LIFETIME: Final = 15 * 60.0

#: Discord JSON error codes the bot reacts to.
UNKNOWN_MESSAGE: Final = 10008
UNKNOWN_WEBHOOK: Final = 10015
UNKNOWN_INTERACTION: Final = 10062
INVALID_FORM_BODY: Final = 50035
INVALID_WEBHOOK_TOKEN: Final = 50027
