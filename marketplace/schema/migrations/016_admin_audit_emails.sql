-- Staff can send a dead email again from the admin service; that action is audited like the others.
ALTER TABLE admin_audit
  MODIFY target_type ENUM('listing', 'user', 'order', 'complaint', 'email') NOT NULL;
