-- Webhook endpoints hold signing secrets: change capture must never copy this table's secret
-- columns to the bus (the CDC table filter excludes them).
CREATE TABLE webhook_endpoints (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id BIGINT UNSIGNED NOT NULL,
  url VARCHAR(2048) NOT NULL,
  description VARCHAR(200) NULL,
  -- JSON array of subscribed event types, e.g. ["order.placed"]; empty means all.
  event_types JSON NOT NULL,
  secret VARCHAR(100) NOT NULL,
  -- A rotated-out secret keeps signing (as a second signature) until it expires.
  previous_secret VARCHAR(100) NULL,
  previous_secret_expires_at DATETIME(6) NULL,
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  disabled_reason VARCHAR(200) NULL,
  failing_since DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_webhook_endpoints_user (user_id),
  CONSTRAINT fk_webhook_endpoints_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per (endpoint, event): the event id is the stable `webhook-id` across retries.
CREATE TABLE webhook_deliveries (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  endpoint_id BIGINT UNSIGNED NOT NULL,
  event_id CHAR(36) NOT NULL,
  event_type VARCHAR(100) NOT NULL,
  payload JSON NOT NULL,
  status ENUM('pending', 'succeeded', 'retrying', 'failed', 'dead') NOT NULL DEFAULT 'pending',
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NULL,
  last_attempt_at DATETIME(6) NULL,
  last_response_code SMALLINT UNSIGNED NULL,
  last_latency_ms INT UNSIGNED NULL,
  last_error VARCHAR(1000) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_webhook_deliveries_event (endpoint_id, event_id),
  KEY ix_webhook_deliveries_due (status, next_attempt_at),
  CONSTRAINT fk_webhook_deliveries_endpoint FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
