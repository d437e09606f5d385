-- Personal data (152-ФЗ): the bot's posts in staff chats, the deletion ledger, and indexes
-- for the erasure of abandoned drafts.

-- Messages the bot posted to a staff chat about an application or a question (the summary,
-- its documents, events, a relayed question): when the person deletes their data, the bot
-- deletes these posts where Telegram lets it. Rows go with their application or question.
CREATE TABLE staff_messages (
    chat_id        INTEGER NOT NULL,
    message_id     INTEGER NOT NULL,
    application_id INTEGER REFERENCES applications (id) ON DELETE CASCADE,
    question_id    INTEGER REFERENCES questions (id) ON DELETE CASCADE,
    sent_at        TEXT    NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX staff_messages_application ON staff_messages (application_id);
CREATE INDEX staff_messages_question ON staff_messages (question_id);

-- The deletion ledger as this database knows it: keyed hashes of the Telegram ids and
-- application numbers of people who deleted their data (the key is not in the database).
-- The ledger file beside the database is the one a restore applies; these rows tell which
-- deletions a restored copy already reflects. No personal data.
CREATE TABLE erasures (
    kind      TEXT NOT NULL,                  -- user | application
    digest    TEXT NOT NULL,                  -- HMAC-SHA256, hex
    erased_at TEXT NOT NULL,
    PRIMARY KEY (kind, digest, erased_at)
);

-- Dialogue states (drafts of forms) untouched for RETENTION_DAYS are erased; existing rows
-- already carry updated_at, written on every change.
CREATE INDEX fsm_updated ON fsm (updated_at);
CREATE INDEX consents_given ON consents (given_at);
