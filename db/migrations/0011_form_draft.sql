-- The application's draft moves out of the dialogue's data into a record of its own: the FSM
-- destiny "form" (the last part of the key), so that a search, a question or a registration can
-- end without touching it. The dialogue keeps its state (the step being asked); the draft takes
-- the answers ("form") and the form's own keys kept next to them. A skipped e-mail was null;
-- it is "" now (null means not asked yet). The draft keeps the dialogue's updated_at.

INSERT OR REPLACE INTO fsm (key, user_id, state, data, updated_at)
SELECT substr(key, 1, length(key) - length('default')) || 'form',
       user_id,
       NULL,
       json_patch(
           CASE json_type(data, '$.form.email')
               WHEN 'null' THEN json_set(json_extract(data, '$.form'), '$.email', '')
               ELSE json_extract(data, '$.form')
           END,
           json_object(
               'doc_kind', json_extract(data, '$.doc_kind'),
               'editing', CASE json_type(data, '$.editing') WHEN 'true' THEN json('true') END,
               'pending_score', json_extract(data, '$.pending_score'),
               'preselect', nullif(json_extract(data, '$.preselect'), ''),
               'application_id', json_extract(data, '$.application_id')
           )
       ),
       updated_at
FROM fsm
WHERE key LIKE '%:default' AND json_type(data, '$.form') = 'object';

UPDATE fsm
SET data = json_remove(data, '$.form', '$.step', '$.doc_kind', '$.editing', '$.pending_score',
                       '$.preselect', '$.application_id', '$.reply_keyboard_shown')
WHERE key LIKE '%:default' AND json_type(data, '$.form') IS NOT NULL;

DELETE FROM fsm WHERE state IS NULL AND data = '{}';
