-- Staff report subscriptions and alerts are audited against themselves (they were recorded
-- against the warehouse they read, which said less), and a refund the payment provider refused
-- is audited too: staff asked for money to go back and it did not.
ALTER TABLE admin_audit
  MODIFY target_type ENUM('listing', 'user', 'order', 'complaint', 'email', 'consumer_group', 'admin_user', 'warehouse', 'job', 'subscription', 'alert') NOT NULL;

UPDATE admin_audit SET target_type = 'subscription' WHERE target_type = 'warehouse' AND action LIKE 'subscription.%';
UPDATE admin_audit SET target_type = 'alert' WHERE target_type = 'warehouse' AND action LIKE 'alert.%';
