-- A secret reference per order's payment, sent to the provider in the payment's metadata. An
-- event for a payment whose id was never stored (the platform stopped between the provider's
-- answer and recording it) is matched to its order only when it carries this reference: the
-- order id alone could be another application's on a shared provider account. Orders placed
-- before this migration have none, so only their stored payment id matches them.
ALTER TABLE order_payments
  ADD COLUMN reference CHAR(32) NULL AFTER payment_intent_id;
