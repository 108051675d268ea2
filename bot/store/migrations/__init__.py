"""Numbered SQL migrations (see ``bot.store.migrate``)."""
