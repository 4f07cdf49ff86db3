-- A moderator's answer to a spam check's finding: dismissed (a false positive) with who, when and
-- why. Open findings are the ones waiting for a look; dismissing a rate-limit finding also lifts
-- the limit it set.
ALTER TABLE user_checks
  ADD COLUMN status ENUM('open', 'dismissed') NOT NULL DEFAULT 'open' AFTER rule_values,
  ADD COLUMN dismissed_by VARCHAR(100) NULL AFTER decided_at,
  ADD COLUMN dismissed_at DATETIME(6) NULL AFTER dismissed_by,
  ADD COLUMN dismiss_reason VARCHAR(500) NULL AFTER dismissed_at;
