// The payments port: what the marketplace asks of a payment provider. Card data never reaches the
// platform: the buyer's browser confirms a payment with the provider using `clientSecret`.

export interface Payment {
  /** The provider's id (a Stripe PaymentIntent, pi_...). */
  id: string;
  /** The provider's status word (requires_payment_method, processing, succeeded, canceled, ...). */
  status: string;
  /** What the buyer's client confirms the payment with; never logged or stored. */
  clientSecret: string | null;
  /** Minor units (cents). */
  amount: number;
  currency: string;
}

export interface PaymentRequest {
  orderId: number;
  /** The order payment's secret reference, returned in events as `reference`. */
  reference: string | undefined;
  /** Minor units (cents), as orders keep it. */
  amount: number;
  currency: string;
  description: string;
  /** The same key on a repeated request makes the provider answer with the first result. */
  idempotencyKey: string;
}

export interface RefundRequest {
  paymentId: string;
  orderId: number;
  amount: number;
  idempotencyKey: string;
}

export interface Refund {
  id: string;
  /** succeeded, pending (some payment methods take days), failed, canceled or requires_action. */
  status: string;
}

/** A provider event whose signature was verified: what happened to which payment. */
export interface PaymentEvent {
  id: string;
  type: string;
  payment: Payment & {
    /** The order the payment was made for, from the metadata set when it was created. */
    orderId: number | undefined;
    /** The reference set when it was created (see PaymentRequest), if any. */
    reference: string | undefined;
    /** Why the last attempt failed, as the provider put it. */
    lastError: string | undefined;
  } | undefined;
}

export interface PaymentsPort {
  readonly provider: 'stripe';
  createPayment(request: PaymentRequest): Promise<Payment>;
  readPayment(id: string): Promise<Payment>;
  /** Cancels a payment not made yet; PaymentRefused when it can no longer be (it succeeded meanwhile). */
  cancelPayment(id: string): Promise<Payment>;
  refund(request: RefundRequest): Promise<Refund>;
  /** Checks the signature and age of a posted event; throws PaymentSignatureInvalid. */
  verifyEvent(rawBody: Buffer, signatureHeader: string | undefined): Promise<PaymentEvent>;
}
