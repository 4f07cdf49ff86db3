CREATE TABLE orders (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  listing_id BIGINT UNSIGNED NOT NULL,
  buyer_id BIGINT UNSIGNED NOT NULL,
  seller_id BIGINT UNSIGNED NOT NULL,
  -- The price at the moment of purchase; the listing's price may change later.
  amount BIGINT UNSIGNED NOT NULL,
  currency CHAR(3) NOT NULL,
  status ENUM('placed', 'paid', 'shipped', 'completed', 'cancelled', 'refunded') NOT NULL DEFAULT 'placed',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_orders_listing (listing_id),
  KEY ix_orders_buyer (buyer_id, created_at),
  KEY ix_orders_seller (seller_id, created_at),
  KEY ix_orders_created (created_at),
  CONSTRAINT fk_orders_listing FOREIGN KEY (listing_id) REFERENCES listings (id),
  CONSTRAINT fk_orders_buyer FOREIGN KEY (buyer_id) REFERENCES users (id),
  CONSTRAINT fk_orders_seller FOREIGN KEY (seller_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
