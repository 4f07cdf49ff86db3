-- SMS through Twilio (issue 27): a user's opt-in phone number with its verification and
-- preferences, and a log of every SMS the platform sends with the delivery statuses Twilio reports.

-- One phone number per user. verified_at is set once the user typed back the code we sent; until
-- then no notification goes to the number. A new number starts unverified again.
CREATE TABLE user_phones (
  user_id BIGINT UNSIGNED NOT NULL,
  phone_e164 VARCHAR(16) NOT NULL,
  verified_at DATETIME(6) NULL,
  sms_orders TINYINT(1) NOT NULL DEFAULT 1,
  sms_messages TINYINT(1) NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id),
  CONSTRAINT fk_user_phones_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The code in flight for a user's number: only its hash is kept (change capture skips the
-- column), it expires, a wrong guess counts against a limit, and resending is rate-limited.
CREATE TABLE phone_verifications (
  user_id BIGINT UNSIGNED NOT NULL,
  phone_e164 VARCHAR(16) NOT NULL,
  code_hash CHAR(64) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  failed_attempts INT UNSIGNED NOT NULL DEFAULT 0,
  -- Codes sent for this number in the current window, and when the last one went.
  sends INT UNSIGNED NOT NULL DEFAULT 1,
  window_started_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_sent_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id),
  CONSTRAINT fk_phone_verifications_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every SMS sent, like email_messages: (event_id, kind) is unique so a redelivered event never
-- texts twice. Our own statuses (pending, failed_retrying, dead, rejected) come before Twilio
-- accepts a message; Twilio's (queued, sending, sent, delivered, undelivered, failed) after,
-- from its answer and its status callbacks. A verification SMS is logged without its code.
CREATE TABLE sms_messages (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id BIGINT UNSIGNED NULL,
  event_id CHAR(36) NULL,
  kind VARCHAR(40) NOT NULL,
  to_number VARCHAR(16) NOT NULL,
  body VARCHAR(1600) NOT NULL,
  status ENUM('pending', 'failed_retrying', 'dead', 'rejected', 'accepted', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed') NOT NULL DEFAULT 'pending',
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  twilio_sid VARCHAR(40) NULL,
  error_code INT NULL,
  last_error VARCHAR(1000) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  sent_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_sms_messages_event (event_id, kind),
  UNIQUE KEY uq_sms_messages_sid (twilio_sid),
  KEY ix_sms_messages_status (status, created_at),
  KEY ix_sms_messages_user (user_id, created_at),
  -- Support's search by number, and the codes sent to one number within the hour.
  KEY ix_sms_messages_to (to_number, created_at),
  CONSTRAINT fk_sms_messages_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Each status Twilio reported for a message, in the order received: the SMS's timeline.
CREATE TABLE sms_status_events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  sms_message_id BIGINT UNSIGNED NOT NULL,
  status VARCHAR(20) NOT NULL,
  error_code INT NULL,
  received_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_sms_status_events_message (sms_message_id, id),
  CONSTRAINT fk_sms_status_events_message FOREIGN KEY (sms_message_id) REFERENCES sms_messages (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
