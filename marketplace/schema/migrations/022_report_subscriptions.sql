-- Staff subscriptions to a dashboard page or a saved query, mailed daily or weekly with the
-- result as CSV; threshold alerts mailed once per breach; and a log of every delivery (sent,
-- skipped because the result was empty, or failed) so staff can see why nothing arrived.
CREATE TABLE report_subscriptions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  -- The staff account that owns it (its username: staff accounts have no email address of their own).
  admin_user_id BIGINT UNSIGNED NOT NULL,
  email VARCHAR(254) NOT NULL,
  name VARCHAR(200) NOT NULL,
  target_kind ENUM('page', 'query') NOT NULL,
  -- A dashboard page (e.g. `platform`, `index`) for `page`; NULL for `query`.
  page VARCHAR(200) NULL,
  -- The saved query, staff-written warehouse SQL run under the analyst guard, for `query`.
  query_sql TEXT NULL,
  cadence ENUM('daily', 'weekly') NOT NULL,
  hour TINYINT UNSIGNED NOT NULL,
  -- 0 = Sunday .. 6 = Saturday, as cron counts; weekly only.
  weekday TINYINT UNSIGNED NULL,
  timezone VARCHAR(64) NOT NULL DEFAULT 'UTC',
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  -- The scheduled occurrence handled last: an occurrence is handled once, however often the job runs.
  last_occurrence_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_report_subscriptions_owner (admin_user_id),
  CONSTRAINT fk_report_subscriptions_owner FOREIGN KEY (admin_user_id) REFERENCES admin_users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE report_alerts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  admin_user_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(200) NOT NULL,
  -- `query` (query_sql returns one row; its `value` column, or its first, is compared) or a
  -- built-in check's name (reports/subscriptions/checks.ts).
  check_name VARCHAR(100) NOT NULL,
  query_sql TEXT NULL,
  comparison ENUM('>', '>=', '<', '<=', '=', '!=') NOT NULL,
  threshold DOUBLE NOT NULL,
  -- A JSON list of email addresses.
  recipients JSON NOT NULL,
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  -- `breached` from the check that found the breach until one finds it cleared: mail goes out on
  -- the move to `breached` only.
  state ENUM('ok', 'breached') NOT NULL DEFAULT 'ok',
  last_value DOUBLE NULL,
  last_checked_at DATETIME(6) NULL,
  last_breached_at DATETIME(6) NULL,
  last_cleared_at DATETIME(6) NULL,
  last_error VARCHAR(1000) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_report_alerts_owner (admin_user_id),
  CONSTRAINT fk_report_alerts_owner FOREIGN KEY (admin_user_id) REFERENCES admin_users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per subscription occurrence or manual send, and per alert breach mailed. Not a foreign
-- key: the log outlives a deleted subscription or alert.
CREATE TABLE report_deliveries (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  subscription_id BIGINT UNSIGNED NULL,
  alert_id BIGINT UNSIGNED NULL,
  trigger_kind ENUM('schedule', 'manual') NOT NULL,
  -- The occurrence (subscriptions) or the check (alerts) the delivery is for.
  due_at DATETIME(6) NOT NULL,
  outcome ENUM('queued', 'skipped_empty', 'failed') NOT NULL,
  `rows` BIGINT UNSIGNED NULL,
  email_message_id BIGINT UNSIGNED NULL,
  detail VARCHAR(1000) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_report_deliveries_subscription (subscription_id, id),
  KEY ix_report_deliveries_alert (alert_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
