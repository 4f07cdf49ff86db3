-- The staff console: a role per staff account (what the admin API lets it do), an optional TOTP
-- second factor, lock-out after repeated failed log-ins, and browser sessions beside bearer ones.
-- Accounts that exist already keep every right they had: they become `admin`. A new account made
-- without naming a role gets the narrowest one.
ALTER TABLE admin_users
  ADD COLUMN role ENUM('support', 'moderator', 'analyst', 'operator', 'admin') NOT NULL DEFAULT 'admin' AFTER username,
  -- Base32 TOTP secret (RFC 6238); NULL when the account logs in with its password alone. It has
  -- to be readable to check a code, so unlike passwords it is not hashed; change capture leaves it out.
  ADD COLUMN totp_secret VARCHAR(64) NULL AFTER password_hash,
  -- The last 30-second step a code was accepted for: the same code is never accepted twice.
  ADD COLUMN totp_last_step BIGINT NULL AFTER totp_secret,
  ADD COLUMN failed_logins INT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN locked_until DATETIME(6) NULL;

ALTER TABLE admin_users MODIFY role ENUM('support', 'moderator', 'analyst', 'operator', 'admin') NOT NULL DEFAULT 'support';

-- A browser session lives in an HttpOnly cookie and needs its CSRF token (kept as a SHA-256 like
-- the session token) on every change; a bearer session (CLI, curl) has none.
ALTER TABLE admin_sessions
  ADD COLUMN kind ENUM('bearer', 'cookie') NOT NULL DEFAULT 'bearer',
  ADD COLUMN csrf_hash CHAR(64) NULL;

-- Log-ins (and failed ones, and lock-outs) are audited against the staff account, and an
-- analyst's queries against the warehouse (their history in the workbench). Neither has a
-- numeric target the audit knows: the account's or query's details go in `details`.
ALTER TABLE admin_audit
  MODIFY target_type ENUM('listing', 'user', 'order', 'complaint', 'email', 'consumer_group', 'admin_user', 'warehouse', 'job') NOT NULL;
