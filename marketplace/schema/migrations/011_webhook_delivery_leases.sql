-- A delivery being sent is leased to one worker until lease_until; a worker that dies mid-send
-- leaves the lease to expire, and the delivery is sent again (at-least-once).
ALTER TABLE webhook_deliveries
  MODIFY status ENUM('pending', 'sending', 'succeeded', 'retrying', 'failed', 'dead') NOT NULL DEFAULT 'pending',
  ADD COLUMN lease_until DATETIME(6) NULL AFTER next_attempt_at;
