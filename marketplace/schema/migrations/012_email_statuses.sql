-- The email statuses the platform documents (queued -> rendering -> sending -> sent, or
-- failed_retrying -> ... -> dead), a lease for the worker sending it, what to render it from, and
-- the SMTP server's answer.
ALTER TABLE email_messages
  MODIFY status ENUM('queued', 'rendering', 'sending', 'sent', 'failed_retrying', 'dead') NOT NULL DEFAULT 'queued',
  ADD COLUMN lease_until DATETIME(6) NULL AFTER next_attempt_at,
  ADD COLUMN data JSON NULL AFTER subject,
  ADD COLUMN smtp_response VARCHAR(1000) NULL AFTER smtp_message_id;
