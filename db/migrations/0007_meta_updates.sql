-- Values the bot generates once and keeps (the webhook secret), and the updates already
-- processed, so that a webhook update Telegram delivers again is not processed twice.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE processed_updates (
    update_id    INTEGER PRIMARY KEY,
    processed_at TEXT    NOT NULL
);
