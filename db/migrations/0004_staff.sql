-- Admission staff: roles and the audit log of every staff action.

-- Staff granted by an administrator; college_id NULL = all colleges. Administrators
-- (ADMIN_IDS) are staff of all colleges without a row here.
CREATE TABLE staff (
    user_id    INTEGER PRIMARY KEY,
    college_id TEXT,
    granted_by INTEGER NOT NULL,
    granted_at TEXT    NOT NULL
);

-- Who did what, when, to which application, with which comment. Kept when the applicant's
-- data is deleted (it names applications by number only).
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT    NOT NULL,
    actor_id       INTEGER NOT NULL,
    action         TEXT    NOT NULL,
    application_no TEXT,
    comment        TEXT
);
CREATE INDEX audit_application ON audit_log (application_no);
