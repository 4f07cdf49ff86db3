-- One row per attempt to deliver a webhook: the delivery log an endpoint's owner reads (status,
-- latency, response code, attempt number), and the record that retries kept to the schedule.
CREATE TABLE webhook_delivery_attempts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  delivery_id BIGINT UNSIGNED NOT NULL,
  attempt INT UNSIGNED NOT NULL,
  started_at DATETIME(6) NOT NULL,
  latency_ms INT UNSIGNED NOT NULL,
  response_code SMALLINT UNSIGNED NULL,
  -- The receiver's answer, cut short: enough to see why it refused, never a whole page.
  response_body VARCHAR(500) NULL,
  error VARCHAR(1000) NULL,
  succeeded TINYINT(1) NOT NULL,
  PRIMARY KEY (id),
  -- Not unique: a sender that dies after sending but before recording leaves the next sender
  -- the same attempt number, and both attempts happened.
  KEY ix_webhook_delivery_attempts_delivery (delivery_id, attempt),
  CONSTRAINT fk_webhook_delivery_attempts_delivery FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Where in the retry schedule a delivery is. It equals attempts until a replay starts the
-- schedule over; attempts keeps counting, so the log stays whole.
ALTER TABLE webhook_deliveries
  ADD COLUMN schedule_step INT UNSIGNED NOT NULL DEFAULT 0 AFTER attempts,
  ADD KEY ix_webhook_deliveries_endpoint (endpoint_id, id);
