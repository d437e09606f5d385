-- What an applicant changed in a submitted application (answers, documents added), so that the
-- staff get one notice listing it (old → new) and «My application» can show what was corrected
-- so far. A change waits unreported while the application needs a correction, until the
-- applicant sends it for review; otherwise the staff notice takes it at once. The old and new
-- values are personal data: the rows go with their application (erasure, retention).
CREATE TABLE application_changes (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    field          TEXT    NOT NULL,   -- a field of the application, or 'document:<kind>'
    old_value      TEXT,
    new_value      TEXT,               -- for a document: the number of files added
    changed_at     TEXT    NOT NULL,
    reported_at    TEXT                -- when a staff notice took it; NULL: not yet
);
CREATE INDEX application_changes_by_application ON application_changes (application_id, id);

-- A broadcast may carry an English version of its text (or caption), for users who read the
-- bot in English; without one they get the Russian text with a line in English saying so.
ALTER TABLE broadcasts ADD COLUMN text_en TEXT;
