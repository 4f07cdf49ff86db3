-- Payments through Stripe (issue 27). An order bought while payments are on waits in
-- pending_payment until Stripe says the PaymentIntent succeeded (paid), failed (payment_failed)
-- or was cancelled (cancelled). Without a provider orders are placed as before.
ALTER TABLE orders
  MODIFY status ENUM('pending_payment', 'placed', 'paid', 'shipped', 'completed', 'payment_failed', 'cancelled', 'refunded') NOT NULL DEFAULT 'placed';

-- The provider's side of an order's payment. `attempts` numbers the creation attempts: each uses
-- its own idempotency key, since Stripe replays a saved 5xx for a key for a day.
CREATE TABLE order_payments (
  order_id BIGINT UNSIGNED NOT NULL,
  provider VARCHAR(16) NOT NULL,
  payment_intent_id VARCHAR(255) NULL,
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  -- Why the last call to the provider, or the payment itself, failed; NULL once it went through.
  error VARCHAR(1000) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (order_id),
  UNIQUE KEY ux_order_payments_intent (payment_intent_id),
  CONSTRAINT fk_order_payments_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every refund asked of the provider, failed ones included, so staff see what happened.
CREATE TABLE payment_refunds (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  order_id BIGINT UNSIGNED NOT NULL,
  provider VARCHAR(16) NOT NULL,
  provider_refund_id VARCHAR(255) NULL,
  status ENUM('requested', 'pending', 'succeeded', 'failed') NOT NULL DEFAULT 'requested',
  amount BIGINT UNSIGNED NOT NULL,
  currency CHAR(3) NOT NULL,
  admin VARCHAR(100) NOT NULL,
  reason VARCHAR(500) NOT NULL,
  error VARCHAR(1000) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY ix_payment_refunds_order (order_id, created_at),
  CONSTRAINT fk_payment_refunds_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Stripe events already applied, written in the transaction that applies one: Stripe delivers
-- at least once, and a redelivered event must change nothing.
CREATE TABLE stripe_events (
  id VARCHAR(255) NOT NULL,
  type VARCHAR(100) NOT NULL,
  order_id BIGINT UNSIGNED NULL,
  outcome VARCHAR(200) NOT NULL,
  received_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
