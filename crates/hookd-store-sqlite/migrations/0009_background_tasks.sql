-- Background tasks (Svix's /api/v1/background-task): one row per task, so a task's status and
-- result outlive the process that ran it.
--   kind        Svix's BackgroundTaskType, e.g. 'endpoint.recover'.
--   status      'running' until it ends once as 'finished' or 'failed'.
--   data        its result or failure, a JSON object ('{}' while running).
--   updated_at  when it last changed or, while running, last heartbeat: a running task whose
--               heartbeat is stale lost its process and is failed by housekeeping.
CREATE TABLE background_tasks (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    data        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- Housekeeping looks for running tasks by heartbeat.
CREATE INDEX background_tasks_running ON background_tasks (updated_at) WHERE status = 'running';
