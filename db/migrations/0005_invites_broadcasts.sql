-- Staff invites, the staff member's display name, and broadcasts.

-- A one-time invite to the staff role. Only a hash of the token is kept: the link itself
-- lives only in the administrator's chat. college_id NULL = staff of every college.
CREATE TABLE staff_invites (
    token_hash TEXT    PRIMARY KEY,
    college_id TEXT,
    created_by INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    used_by    INTEGER,
    used_at    TEXT
);

-- The staff member's Telegram name, so that administrators can tell who is who.
ALTER TABLE staff ADD COLUMN name TEXT;

-- A message from the staff to a segment of users. Each recipient gets an outbox row
-- 'broadcast:<id>:<chat>', so delivery is paced, retried and counted like any other message.
CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id           INTEGER NOT NULL,
    created_at          TEXT    NOT NULL,
    text                TEXT    NOT NULL,     -- HTML, as the author formatted it
    photo_file_id       TEXT,
    segment             TEXT    NOT NULL,     -- JSON: {"kind": ..., "value": ...}
    recipients          INTEGER NOT NULL,
    progress_chat_id    INTEGER,
    progress_message_id INTEGER,
    reported            TEXT,                 -- the last progress shown, to edit only on change
    finished_at         TEXT
);
