-- Transactional outbox: a domain event is written in the same transaction as the business
-- change, and change capture routes it to `<prefix>.events.<aggregate_type>`. The id is a
-- UUIDv7 (time-ordered, so inserts stay sequential) and doubles as the event's stable id.
CREATE TABLE outbox (
  id CHAR(36) NOT NULL,
  aggregate_type VARCHAR(50) NOT NULL,
  aggregate_id VARCHAR(64) NOT NULL,
  type VARCHAR(100) NOT NULL,
  payload JSON NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_outbox_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
