"""The relay: one reply's model events in, paced page writes out.

``state`` accumulates the reply, ``pages`` decides which page to write next (the
front's :class:`Layout` says how pages look), ``relay`` runs the reader and the
paced writer.
"""

from bot.core.relay.pages import Layout
from bot.core.relay.relay import Hooks, Relay
from bot.core.relay.state import ReplyState

__all__ = ["Hooks", "Layout", "Relay", "ReplyState"]
