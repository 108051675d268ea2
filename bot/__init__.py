"""The bot: configuration, the model stream, the relay into Discord and its logs."""
