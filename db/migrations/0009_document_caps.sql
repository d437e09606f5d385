-- Caps on the documents of one application, enforced by the database itself: at most 10 files
-- of one kind (the pages of one document) and 30 files in all. The same numbers are
-- MAX_PAGES_PER_KIND and MAX_FILES_PER_APPLICATION in db/applications.py (a test checks that
-- they agree). Rows already over a cap stay: only new files are refused.

CREATE TRIGGER documents_cap_per_kind
BEFORE INSERT ON documents
WHEN (SELECT count(*) FROM documents
      WHERE application_id = NEW.application_id AND kind = NEW.kind) >= 10
BEGIN
    SELECT RAISE(ABORT, 'document cap: at most 10 files of one kind per application');
END;

CREATE TRIGGER documents_cap_total
BEFORE INSERT ON documents
WHEN (SELECT count(*) FROM documents WHERE application_id = NEW.application_id) >= 30
BEGIN
    SELECT RAISE(ABORT, 'document cap: at most 30 files per application');
END;
