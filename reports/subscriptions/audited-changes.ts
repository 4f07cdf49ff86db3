// What a change to a subscription or an alert did, for the audit trail: each field it changed,
// from what to what. Pure.

/** The fields whose values differ (compared as JSON), each with its value before and after; a field absent on one side is null there. */
export function auditedChanges(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const from = before[field] ?? null;
    const to = after[field] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  }
  return changes;
}
