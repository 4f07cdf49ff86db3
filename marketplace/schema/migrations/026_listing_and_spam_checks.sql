-- Listing checks and spam checks (issue 27): consumers on the domain events decide, rule by rule,
-- and every decision is kept with its reason and the values that tripped it, so a moderator sees
-- why and the false positives can be counted.

-- A held listing waits for a moderator: out of search and not for sale, shown to its seller as
-- under review.
ALTER TABLE listings
  MODIFY status ENUM('draft', 'active', 'pending_review', 'sold', 'removed') NOT NULL DEFAULT 'active';

-- One row per rule a listing tripped. Keyed by the event checked and the rule, so a redelivered
-- event is decided once. `status` goes from open to cleared (a moderator let it stay) or removed.
CREATE TABLE listing_checks (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  listing_id BIGINT UNSIGNED NOT NULL,
  seller_id BIGINT UNSIGNED NOT NULL,
  -- The domain event (outbox id) whose listing was checked.
  event_id CHAR(36) NOT NULL,
  rule VARCHAR(40) NOT NULL,
  action ENUM('hold', 'flag') NOT NULL,
  reason VARCHAR(500) NOT NULL,
  -- What the rule measured and compared, e.g. {"price": 500, "median": 40000, "ratio": 0.2}.
  rule_values JSON NULL,
  decided_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  status ENUM('open', 'cleared', 'removed') NOT NULL DEFAULT 'open',
  -- The staff account that cleared or removed it, when, and why.
  cleared_by VARCHAR(100) NULL,
  cleared_at DATETIME(6) NULL,
  clear_reason VARCHAR(1000) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_listing_checks_event_rule (event_id, rule),
  KEY ix_listing_checks_open (status, listing_id),
  KEY ix_listing_checks_listing (listing_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The normalised text of each checked listing as a hash, to find the same text listed by other
-- sellers. Kept by the listing-checks worker; an edit replaces the listing's row.
CREATE TABLE listing_text_hashes (
  listing_id BIGINT UNSIGNED NOT NULL,
  seller_id BIGINT UNSIGNED NOT NULL,
  text_hash CHAR(64) NOT NULL,
  checked_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (listing_id),
  KEY ix_listing_text_hashes_hash (text_hash, checked_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The client address a sign-up came from (bursts of sign-ups per address). Apart from users so
-- the address stays out of the user rows every copy (search, warehouse, webhooks) carries.
CREATE TABLE signup_addresses (
  user_id BIGINT UNSIGNED NOT NULL,
  ip VARCHAR(45) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id),
  KEY ix_signup_addresses_ip (ip, created_at),
  CONSTRAINT fk_signup_addresses_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per spam rule an account tripped, on its sign-up or on a message it sent.
CREATE TABLE user_checks (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id BIGINT UNSIGNED NOT NULL,
  event_id CHAR(36) NOT NULL,
  -- What was checked: the sign-up, or the message `message_id`.
  subject ENUM('signup', 'message') NOT NULL,
  message_id BIGINT UNSIGNED NULL,
  rule VARCHAR(40) NOT NULL,
  action ENUM('flag', 'rate_limit', 'suspend') NOT NULL,
  reason VARCHAR(500) NOT NULL,
  rule_values JSON NULL,
  decided_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_user_checks_event_rule (event_id, rule),
  KEY ix_user_checks_user (user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Accounts whose messages are limited by a spam check: at most `per_hour` messages an hour
-- until `limited_until`. Sending checks it.
CREATE TABLE message_rate_limits (
  user_id BIGINT UNSIGNED NOT NULL,
  per_hour INT UNSIGNED NOT NULL,
  limited_until DATETIME(6) NOT NULL,
  reason VARCHAR(500) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (user_id),
  CONSTRAINT fk_message_rate_limits_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
