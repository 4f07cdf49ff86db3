// The texts the platform sends by SMS, from a domain event's data, and who gets which. Pure.
// SMS bodies stay short (one 160-character segment where possible) and carry no personal data
// beyond what the recipient already knows.

export type SmsKind = 'order_placed_buyer' | 'order_placed_seller' | 'message_received' | 'verification';

/** The preference that lets an SMS of this kind go out. */
export type SmsPreference = 'orders' | 'messages';

export interface WantedSms {
  kind: Exclude<SmsKind, 'verification'>;
  userId: number;
  preference: SmsPreference;
}

export function smsFor(type: string, data: Record<string, unknown>): WantedSms[] {
  switch (type) {
    case 'order.placed':
      return [
        { kind: 'order_placed_buyer', userId: Number(data.buyer_id), preference: 'orders' },
        { kind: 'order_placed_seller', userId: Number(data.seller_id), preference: 'orders' },
      ];
    case 'message.received':
      return [{ kind: 'message_received', userId: Number(data.recipient_id), preference: 'messages' }];
    default:
      return [];
  }
}

const money = (amount: unknown, currency: unknown) => `${(Number(amount) / 100).toFixed(2)} ${String(currency).toUpperCase()}`;
const shorten = (text: unknown, max: number) => {
  const value = String(text ?? '');
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
};

export function renderSms(kind: Exclude<SmsKind, 'verification'>, data: Record<string, unknown>): string {
  switch (kind) {
    case 'order_placed_buyer':
      return `Steveslist: you bought "${shorten(data.listing_name, 60)}" for ${money(data.amount, data.currency)} (order ${data.id}).`;
    case 'order_placed_seller':
      return `Steveslist: "${shorten(data.listing_name, 60)}" sold for ${money(data.amount, data.currency)} (order ${data.id}).`;
    case 'message_received':
      return `Steveslist: you have a new message${data.listing_id == null ? '' : ` about listing ${data.listing_id}`}. Read it under Messages.`;
  }
}

export function verificationText(code: string, ttlMinutes: number): string {
  return `Your Steveslist code is ${code}. It expires in ${ttlMinutes} minutes. If you did not ask for it, ignore this SMS.`;
}

/** What the log keeps of a verification SMS: the text without its code. */
export function loggedVerificationText(ttlMinutes: number): string {
  return verificationText('••••••', ttlMinutes);
}

/** A number as logs show it: enough to tell two apart, not enough to call. */
export function maskNumber(phone: string): string {
  return phone.length <= 6 ? '+…' : `${phone.slice(0, 3)}…${phone.slice(-3)}`;
}
