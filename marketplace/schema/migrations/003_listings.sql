-- Field names follow the public API's listing JSON. Prices are integers in minor units
-- (cents) with an ISO 4217 currency in lower case, so no float ever touches money.
CREATE TABLE listings (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  seller_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(200) NOT NULL,
  description TEXT NOT NULL,
  category VARCHAR(50) NOT NULL,
  country CHAR(2) NOT NULL,
  city VARCHAR(100) NOT NULL,
  price_amount BIGINT UNSIGNED NOT NULL,
  price_currency CHAR(3) NOT NULL,
  status ENUM('draft', 'active', 'sold', 'removed') NOT NULL DEFAULT 'active',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_listings_seller (seller_id, created_at),
  KEY ix_listings_status_created (status, created_at),
  KEY ix_listings_place (country, city),
  KEY ix_listings_category (category),
  CONSTRAINT fk_listings_seller FOREIGN KEY (seller_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
