-- The catalogue kept current from Telegram: who made each version, and the workbooks waiting
-- for their sender's confirmation.
-- loaded_by: the staff member's Telegram id; NULL for the shipped default and the shell
-- (python -m bot catalog load), whose rows keep their source (a file path) as before.
ALTER TABLE catalog_versions ADD COLUMN loaded_by INTEGER;

-- A catalogue read from an uploaded workbook (or a version to go back to), shown to its sender
-- as a list of changes: applied only on their confirmation, and only while the version it was
-- read against (base_id) is still the current one. One per staff member: a newer one replaces
-- it; applying or cancelling deletes it. No personal data: the catalogue is public.
CREATE TABLE catalog_drafts (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    base_id    INTEGER NOT NULL,
    source     TEXT    NOT NULL,
    sha256     TEXT    NOT NULL,
    document   TEXT    NOT NULL
);
CREATE INDEX catalog_drafts_user ON catalog_drafts (user_id);
