-- Listing and replaying a consumer group's dead letters from the admin service is audited like
-- the other staff actions. A group has a name, not a numeric id: such a target keeps its name in
-- `details` (e.g. {"group": "search-indexer", "count": 3}) and no target_id.
ALTER TABLE admin_audit
  MODIFY target_type ENUM('listing', 'user', 'order', 'complaint', 'email', 'consumer_group') NOT NULL,
  MODIFY target_id BIGINT UNSIGNED NULL;
