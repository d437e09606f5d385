-- Reminders: students and their practicum periods, "remind me" subscriptions,
-- and which kinds of reminder each user switched off.

-- A student who registered with "I am a student": no names, only where they study.
CREATE TABLE students (
    user_id        INTEGER PRIMARY KEY,
    college_id     TEXT    NOT NULL,
    specialty_code TEXT    NOT NULL,
    group_name     TEXT    NOT NULL,           -- normalised: upper-case, single spaces
    registered_at  TEXT    NOT NULL
);
CREATE INDEX students_group ON students (college_id, group_name);

-- Practicum periods per group, added by staff (a command or a CSV/XLSX file).
CREATE TABLE practicum_periods (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    college_id      TEXT    NOT NULL,
    group_name      TEXT    NOT NULL,
    specialty_code  TEXT    NOT NULL,
    start_date      TEXT    NOT NULL,          -- local dates, ISO
    end_date        TEXT    NOT NULL,
    place           TEXT    NOT NULL,
    supervisor      TEXT    NOT NULL,
    report_deadline TEXT    NOT NULL,
    added_at        TEXT    NOT NULL,
    added_by        INTEGER,
    UNIQUE (college_id, group_name, start_date)
);

-- Prospective students who pressed "remind me" on a specialty card.
CREATE TABLE subscriptions (
    user_id        INTEGER NOT NULL,
    specialty_code TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    PRIMARY KEY (user_id, specialty_code)
);

-- Kinds of reminder a user switched off (absent = on).
CREATE TABLE reminder_optouts (
    user_id INTEGER NOT NULL,
    kind    TEXT    NOT NULL,                  -- deadlines | documents | practicum | opening
    PRIMARY KEY (user_id, kind)
);
