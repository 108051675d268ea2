-- What each reply cost, and the replies being written (for cleaning up after a crash).
CREATE TABLE usage (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,            -- YYYY-MM-DD, UTC
    guild_id TEXT,
    user_id TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    estimated INTEGER NOT NULL DEFAULT 0  -- 1: no usage reported, counted from the text
);
CREATE INDEX usage_day_user ON usage (day, user_id);
CREATE INDEX usage_day_guild ON usage (day, guild_id);

CREATE TABLE replies_in_flight (
    reply_id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL,
    token TEXT,
    token_expires REAL,
    started_at TEXT NOT NULL
);

CREATE TABLE reply_messages (
    reply_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (reply_id, position)
);
