-- Students, second pass: the groups each college knows, what a student needs on the first
-- day of a practicum, a revision of each schedule (the calendar file and the news of a change),
-- questions to a college's practicum staff, and the student's consent with the registration.

-- Groups the staff loaded: from practicum periods, or from a plain list per college and
-- specialty. A student picks one of these; a group typed by a student and not listed here is
-- "unknown" (the student's row names it, no row here) until the staff load it. The name is
-- as the staff last wrote it; two names that differ only in case, spaces, dashes or Latin
-- look-alikes are one group (the bot compares them, see bot/domain/groups.py).
CREATE TABLE student_groups (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    college_id     TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    specialty_code TEXT    NOT NULL,
    revision       INTEGER NOT NULL DEFAULT 0,  -- bumped when its periods change
    added_at       TEXT    NOT NULL,
    UNIQUE (college_id, name)
);

-- The groups of the periods loaded so far (the specialty of the latest load).
INSERT INTO student_groups (college_id, name, specialty_code, added_at)
SELECT college_id, group_name, specialty_code, max(added_at)
FROM practicum_periods
GROUP BY college_id, group_name;

-- The first day: where to go (an address or a gate), when (HH:MM), whom to ask for, what to
-- bring. Empty: «уточняется». revision: bumped on every change (the calendar's SEQUENCE).
ALTER TABLE practicum_periods ADD COLUMN address   TEXT    NOT NULL DEFAULT '';
ALTER TABLE practicum_periods ADD COLUMN meet_time TEXT    NOT NULL DEFAULT '';
ALTER TABLE practicum_periods ADD COLUMN contact   TEXT    NOT NULL DEFAULT '';
ALTER TABLE practicum_periods ADD COLUMN bring     TEXT    NOT NULL DEFAULT '';
ALTER TABLE practicum_periods ADD COLUMN revision  INTEGER NOT NULL DEFAULT 0;

-- The version of the student's consent text, given before the registration was stored
-- (NULL: registered before the consent screen existed; asked at the next visit).
ALTER TABLE students ADD COLUMN consent_version TEXT;

-- A question to the practicum staff of one college (NULL: to the admission committee).
ALTER TABLE questions ADD COLUMN college_id TEXT;
