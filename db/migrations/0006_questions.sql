-- Questions to the admission committee and the committee's answers.

-- A question as the asker sent it. The id is its public number («№17», the tag #Q17 in the
-- staff chat) and is never reused (AUTOINCREMENT): a reply to an old relay whose question
-- was deleted must not reach someone else. answered_at/answered_by: the first answer.
CREATE TABLE questions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL,
    asked_at     TEXT    NOT NULL,
    content_type TEXT    NOT NULL CHECK (content_type IN ('text', 'photo', 'document')),
    text         TEXT    NOT NULL DEFAULT '',  -- the question, or the caption of the file
    file_id      TEXT,                         -- Telegram file_id of a photo or document
    answered_at  TEXT,
    answered_by  INTEGER
);
CREATE INDEX questions_user ON questions (user_id);
CREATE INDEX questions_open ON questions (answered_at, id);

-- Every answer, the first and any follow-up: each is delivered from its own row, so a
-- follow-up typed before the first answer went out cannot replace it.
CREATE TABLE question_answers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    answered_at TEXT    NOT NULL,
    answered_by INTEGER NOT NULL,
    text        TEXT    NOT NULL
);
CREATE INDEX question_answers_question ON question_answers (question_id);
