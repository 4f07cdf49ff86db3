// Which orders are sales, for every figure of GMV and orders the warehouse answers: an order
// counts once it is placed (paid at once when no payments are configured) or paid, and while it
// ships and completes. One awaiting or refused payment (pending_payment, payment_failed), a
// cancelled and a refunded order are not sales. Listed by what counts, so a status added later
// counts only once it is put here.
export const SALE_STATUSES = ['placed', 'paid', 'shipped', 'completed'] as const;

/** The condition on an orders table's `status` column (SQL, same text for ClickHouse and MySQL). */
export const IS_SALE = `status IN (${SALE_STATUSES.map((s) => `'${s}'`).join(', ')})`;
