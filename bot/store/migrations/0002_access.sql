-- Allow and block lists per server: users, roles, channels and categories.
CREATE TABLE access (
    guild_id TEXT NOT NULL,
    rule TEXT NOT NULL,           -- 'allow' or 'block'
    target TEXT NOT NULL,         -- 'user', 'role', 'channel' or 'category'
    target_id TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, rule, target, target_id)
);
