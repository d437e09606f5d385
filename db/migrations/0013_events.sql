-- Events of the catalogue: what the bot knows of each (to tell a change once, to erase its
-- registrations after it), the registrations with the waiting list and attendance, the short
-- consent for events, and the source labels of posters («школа 37») new users come through.

-- One row per event the catalogue ever had; no personal data.
CREATE TABLE events (
    id          TEXT    PRIMARY KEY,           -- the catalogue's event id
    title       TEXT    NOT NULL,              -- {"ru": ..., "en": ...}: for a notice once it is gone
    fingerprint TEXT    NOT NULL,              -- of what registrants rely on (bot/domain/events.py)
    starts_at   TEXT    NOT NULL,              -- UTC
    ends_at     TEXT    NOT NULL,              -- UTC
    cancelled   INTEGER NOT NULL DEFAULT 0,
    removed     INTEGER NOT NULL DEFAULT 0,    -- no longer in the catalogue: told as cancelled
    seats       INTEGER,                       -- NULL: no limit
    synced_at   TEXT    NOT NULL
);

-- A person registered for an event: with a seat, offered a freed seat until offered_until, or
-- waiting (in the order of id). Personal data: erased with «delete my data», and
-- RETENTION_DAYS after the event ends.
CREATE TABLE event_registrations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT    NOT NULL REFERENCES events (id),
    user_id       INTEGER NOT NULL,
    full_name     TEXT    NOT NULL,
    phone         TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('seated', 'offered', 'waiting')),
    token         TEXT    NOT NULL UNIQUE,     -- the personal check-in code (the QR code)
    created_at    TEXT    NOT NULL,
    seated_at     TEXT,
    offered_until TEXT,
    attended_at   TEXT,
    attended_by   INTEGER,
    UNIQUE (event_id, user_id)
);
CREATE INDEX event_registrations_user ON event_registrations (user_id);
CREATE INDEX event_registrations_event ON event_registrations (event_id, status, id);
CREATE INDEX event_registrations_offers ON event_registrations (status, offered_until);

-- The short consent for events (152-ФЗ: its own document, apart from the application's).
CREATE TABLE event_consents (
    user_id  INTEGER PRIMARY KEY,
    version  TEXT    NOT NULL,
    given_at TEXT    NOT NULL
);
CREATE INDEX event_consents_given ON event_consents (given_at);

-- Source labels of posters: the link carries the number, the label stays here.
CREATE TABLE link_sources (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    label      TEXT    NOT NULL UNIQUE,
    created_by INTEGER NOT NULL,
    created_at TEXT    NOT NULL
);

-- The source label a new user came through (NULL: none).
ALTER TABLE users ADD COLUMN source_id INTEGER REFERENCES link_sources (id);
