-- What a run reports when it succeeds (a backup's file and size, rows purged), and whether the
-- schedule or a person started it: a run by hand must not count as a scheduled occurrence, or a
-- scheduler coming back would think the missed ones done.
ALTER TABLE job_runs
  ADD COLUMN summary VARCHAR(1000) NULL AFTER error,
  ADD COLUMN trigger_kind ENUM('schedule', 'manual') NOT NULL DEFAULT 'schedule' AFTER status;
