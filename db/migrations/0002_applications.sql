-- Applications: consent, the application, its specialties, documents, status history;
-- the notification outbox; anonymous counters.

-- Consent to personal-data processing (152-ФЗ): a separate, versioned act, given before any
-- personal data is asked for. Deleted with the person's data on request.
CREATE TABLE consents (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL,
    version    TEXT    NOT NULL,           -- version of the consent text shown
    given_at   TEXT    NOT NULL,
    minor      INTEGER,                    -- 1: under 18, a parent's consent is required
    withdrawn_at TEXT
);
CREATE INDEX consents_user ON consents (user_id);

CREATE TABLE applications (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    number         TEXT    NOT NULL UNIQUE, -- М-2026-0001
    user_id        INTEGER NOT NULL,
    campaign_year  INTEGER NOT NULL,
    status         TEXT    NOT NULL,        -- submitted | needs_correction | accepted | rejected | enrolled | withdrawn
    full_name      TEXT    NOT NULL,
    birth_date     TEXT    NOT NULL,        -- ISO date
    phone          TEXT    NOT NULL,        -- +7XXXXXXXXXX
    email          TEXT,
    education_base INTEGER NOT NULL,        -- 9 | 11
    average_score  TEXT    NOT NULL,        -- '4.50' (exact decimal as text)
    score_rank     INTEGER NOT NULL,        -- average_score * 100, for ordering
    dormitory      INTEGER NOT NULL,
    channel        TEXT    NOT NULL,        -- bot | gosuslugi | in_person
    minor          INTEGER NOT NULL DEFAULT 0,
    original_received INTEGER NOT NULL DEFAULT 0,
    medical_received  INTEGER NOT NULL DEFAULT 0,
    submitted_at   TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    UNIQUE (user_id, campaign_year)         -- one application per person and campaign
);
CREATE INDEX applications_status ON applications (status);

CREATE TABLE application_choices (
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    priority       INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 3),
    specialty_code TEXT    NOT NULL,
    PRIMARY KEY (application_id, priority),
    UNIQUE (application_id, specialty_code)
);
CREATE INDEX choices_specialty ON application_choices (specialty_code);

-- Documents are Telegram file references (file_id); the files stay on Telegram's servers.
CREATE TABLE documents (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL,        -- passport | certificate | photo | medical | parent_consent
    file_id        TEXT    NOT NULL,
    file_unique_id TEXT    NOT NULL,
    content_type   TEXT    NOT NULL,        -- photo | application/pdf | image/jpeg | image/png
    file_size      INTEGER,
    added_at       TEXT    NOT NULL,
    UNIQUE (application_id, file_unique_id)
);

CREATE TABLE status_history (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    status         TEXT    NOT NULL,
    changed_at     TEXT    NOT NULL,
    actor_id       INTEGER,                 -- NULL: the applicant; else a staff member
    comment        TEXT
);
CREATE INDEX history_application ON status_history (application_id);

-- Messages the bot owes someone: written in the same transaction as the change they report,
-- delivered by the sender, retried on failure. Payloads carry ids only, never personal data.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key  TEXT    NOT NULL UNIQUE,
    chat_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    payload    TEXT    NOT NULL DEFAULT '{}',
    due_at     TEXT    NOT NULL,
    status     TEXT    NOT NULL DEFAULT 'pending', -- pending | sent | failed | blocked | dropped
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT    NOT NULL,
    sent_at    TEXT
);
CREATE INDEX outbox_due ON outbox (status, due_at);

-- Anonymous numbers: application numbers per year, deletions, declined consents.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
