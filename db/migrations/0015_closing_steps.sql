-- The staff's decisions made safe, and the campaign's closing steps.
--
-- applications.enrolled_code: the specialty an enrolled applicant is enrolled to (one of their
-- choices); an enrolled applicant competes in that ranking only. Applications enrolled before
-- this migration named none: their first priority is taken, as the ranking then counted them.
-- applications.original_received_at: when the original certificate was marked received (the
-- staff's daily digest counts them); for originals marked before, the last change is the best
-- that is known.
-- status_history.undoes: the change an administrator cancelled with this one (its reason is the
-- comment); a cancellation itself is not cancelled again.
ALTER TABLE applications ADD COLUMN enrolled_code TEXT;
ALTER TABLE applications ADD COLUMN original_received_at TEXT;
ALTER TABLE status_history ADD COLUMN undoes INTEGER REFERENCES status_history (id);

UPDATE applications
SET enrolled_code = (SELECT c.specialty_code FROM application_choices c
                     WHERE c.application_id = applications.id ORDER BY c.priority LIMIT 1)
WHERE status = 'enrolled';

UPDATE applications SET original_received_at = updated_at WHERE original_received = 1;

-- A ranking list as the staff last published it to the applicants of a specialty: each
-- application's place then (with the score and the original as the list showed them). The
-- next publication tells only those whose place changed. Rows go with the application.
CREATE TABLE ranking_publications (
    campaign_year  INTEGER NOT NULL,
    specialty_code TEXT    NOT NULL,
    published_at   TEXT    NOT NULL,
    published_by   INTEGER NOT NULL,
    version        INTEGER NOT NULL,          -- 1, 2, … per specialty and campaign
    PRIMARY KEY (campaign_year, specialty_code)
);

CREATE TABLE published_places (
    campaign_year  INTEGER NOT NULL,
    specialty_code TEXT    NOT NULL,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    place          INTEGER NOT NULL,
    average_score  TEXT    NOT NULL,
    original       INTEGER NOT NULL,
    PRIMARY KEY (campaign_year, specialty_code, application_id)
);
CREATE INDEX published_places_application ON published_places (application_id);

-- Enrolment orders: who issued which, when; the applicants it enrolled carry its status change
-- (status_history) and the specialty (applications.enrolled_code).
CREATE TABLE enrolment_orders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_year  INTEGER NOT NULL,
    specialty_code TEXT    NOT NULL,
    issued_by      INTEGER NOT NULL,
    issued_at      TEXT    NOT NULL,
    enrolled       INTEGER NOT NULL
);
