"""The bot's durable state: an embedded SQLite database in ``BOT_DATA_DIR``.

``sqlite.SqliteStore`` implements :class:`bot.core.storage.Store`; ``migrate``
applies the numbered schema migrations; ``backup`` copies a live database.
"""
