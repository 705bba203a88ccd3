/** What authorisation needs to know about a user; identical whichever strategy produced it. */
export interface AuthUser {
  id: number;
  role: string;
  permissions: string[];
}

/** One row of the 5-table LEFT JOIN (role/permission columns are null for a user without roles). */
export interface RbacRow {
  user_id: string | number;
  role_id: number | null;
  role_name: string | null;
  permission_name: string | null;
}

/**
 * Folds the join's rows into claims: `role` is the most privileged role (lowest role id) and
 * `permissions` the sorted union. Both token minting and the db-lookup strategy use this, so the
 * two strategies cannot disagree on what a user may do. Returns null for no rows (unknown user)
 * or a user without any role.
 */
export function claimsFromRows(rows: readonly RbacRow[]): AuthUser | null {
  const first = rows[0];
  if (!first) return null;
  let bestRoleId = Infinity;
  let role: string | null = null;
  const permissions = new Set<string>();
  for (const row of rows) {
    if (row.role_id !== null && row.role_name !== null && row.role_id < bestRoleId) {
      bestRoleId = row.role_id;
      role = row.role_name;
    }
    if (row.permission_name !== null) permissions.add(row.permission_name);
  }
  if (role === null) return null;
  return { id: Number(first.user_id), role, permissions: [...permissions].sort() };
}
