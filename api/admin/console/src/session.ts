// Who is logged in, as the API said at log-in or on load; the role decides which pages the
// navigation offers (the API decides what is allowed).
export type StaffRole = 'support' | 'moderator' | 'analyst' | 'operator' | 'admin';

export interface Staff {
  username: string;
  role: StaffRole;
}

export function may(staff: Staff, roles: readonly StaffRole[]): boolean {
  return staff.role === 'admin' || roles.includes(staff.role);
}
