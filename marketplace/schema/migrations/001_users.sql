-- No foreign key in this schema cascades (ON DELETE CASCADE / SET NULL): InnoDB applies
-- cascades without writing them to the binlog as row events, so change capture would never see
-- them. The domain code makes such changes explicitly instead.
--
-- Marketplace users. Login secrets live apart in user_credentials: auth rows are small and hot,
-- and keeping them out of this table keeps them out of every copy of it (search, warehouse).
CREATE TABLE users (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  email VARCHAR(254) NOT NULL,
  name VARCHAR(100) NOT NULL,
  country CHAR(2) NULL,
  city VARCHAR(100) NULL,
  status ENUM('active', 'suspended', 'deleted') NOT NULL DEFAULT 'active',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  UNIQUE KEY uq_users_email (email),
  KEY ix_users_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE user_credentials (
  user_id BIGINT UNSIGNED NOT NULL,
  -- Self-describing hash string: algorithm, cost parameters, salt and hash.
  password_hash VARCHAR(255) NOT NULL,
  password_changed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  failed_attempts INT UNSIGNED NOT NULL DEFAULT 0,
  locked_until DATETIME(6) NULL,
  PRIMARY KEY (user_id),
  CONSTRAINT fk_user_credentials_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
