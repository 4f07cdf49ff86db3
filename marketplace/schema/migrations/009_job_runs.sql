-- The scheduler's run ledger: one row per occurrence of a job. The unique key makes the row its
-- own lock, so two scheduler processes never run the same occurrence twice.
CREATE TABLE job_runs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  job VARCHAR(100) NOT NULL,
  scheduled_for DATETIME(6) NOT NULL,
  started_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  finished_at DATETIME(6) NULL,
  status ENUM('running', 'succeeded', 'failed', 'timed_out', 'skipped') NOT NULL DEFAULT 'running',
  error TEXT NULL,
  host VARCHAR(255) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_job_runs_occurrence (job, scheduled_for),
  KEY ix_job_runs_started (started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
