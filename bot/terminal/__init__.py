"""The terminal front: ``relaybot chat``, a streaming chat on the same core as the bot."""
