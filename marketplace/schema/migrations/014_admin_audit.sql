-- What staff did in the admin service, one row per action, written in the same transaction as
-- the change it records (so an action and its record commit or roll back together). The admin is
-- kept by username, not as a foreign key: the record must outlive renamed or disabled accounts,
-- and the target may be a listing its seller deleted later. Rows are only ever inserted.
CREATE TABLE admin_audit (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  admin_username VARCHAR(100) NOT NULL,
  -- `<target>.<verb>`, e.g. listing.remove, user.suspend, order.refund, complaint.dismiss.
  action VARCHAR(50) NOT NULL,
  target_type ENUM('listing', 'user', 'order', 'complaint') NOT NULL,
  target_id BIGINT UNSIGNED NOT NULL,
  reason VARCHAR(1000) NULL,
  details JSON NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_admin_audit_target (target_type, target_id, id),
  KEY ix_admin_audit_admin (admin_username, id),
  KEY ix_admin_audit_action (action, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Warnings moderators gave a user (shown to support beside the user's complaints).
CREATE TABLE user_warnings (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id BIGINT UNSIGNED NOT NULL,
  reason VARCHAR(1000) NOT NULL,
  -- The complaint that led to the warning, when there was one.
  complaint_id BIGINT UNSIGNED NULL,
  issued_by VARCHAR(100) NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_user_warnings_user (user_id, created_at),
  KEY ix_user_warnings_complaint (complaint_id),
  CONSTRAINT fk_user_warnings_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_user_warnings_complaint FOREIGN KEY (complaint_id) REFERENCES complaints (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
