-- Every email the platform sends, with a granular status so support can answer "was it sent?".
-- (event_id, template) is unique so a redelivered domain event never mails twice.
CREATE TABLE email_messages (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id BIGINT UNSIGNED NULL,
  event_id CHAR(36) NULL,
  template VARCHAR(100) NOT NULL,
  to_address VARCHAR(254) NOT NULL,
  subject VARCHAR(300) NOT NULL,
  status ENUM('queued', 'rendering', 'sending', 'sent', 'deferred', 'bounced', 'failed', 'dead') NOT NULL DEFAULT 'queued',
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NULL,
  last_error VARCHAR(1000) NULL,
  smtp_message_id VARCHAR(255) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  sent_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_email_messages_event (event_id, template),
  KEY ix_email_messages_status (status, next_attempt_at),
  KEY ix_email_messages_user (user_id, created_at),
  CONSTRAINT fk_email_messages_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
