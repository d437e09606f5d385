-- Users, persisted FSM state and the catalogue.
-- Instants are stored as UTC ISO 8601 text ("2026-06-20T03:00:00+00:00").

-- Only what the bot needs to talk to someone: no names, no usernames (152-ФЗ minimisation).
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,       -- Telegram user id
    language        TEXT    NOT NULL,          -- 'ru' | 'en'
    language_chosen INTEGER NOT NULL DEFAULT 0, -- 1 once the user picked it with /language
    first_seen      TEXT    NOT NULL,
    last_seen       TEXT    NOT NULL,
    unreachable_at  TEXT                       -- Telegram answered 403 (blocked, deactivated)
);

-- aiogram FSM: one row per storage key (bot, chat, thread, user, business connection, destiny).
CREATE TABLE fsm (
    key        TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    state      TEXT,
    data       TEXT    NOT NULL DEFAULT '{}',  -- JSON object
    updated_at TEXT    NOT NULL
);
CREATE INDEX fsm_user ON fsm (user_id);

-- Every catalogue ever loaded; the row with the greatest id is the current one.
CREATE TABLE catalog_versions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    loaded_at TEXT NOT NULL,
    source    TEXT NOT NULL,                   -- file path or 'default'
    sha256    TEXT NOT NULL,                   -- of the file's bytes
    document  TEXT NOT NULL                    -- the validated catalogue as JSON
);
