// Which table a DDL statement changes, as far as its first words say:
// ALTER | CREATE | DROP | RENAME | TRUNCATE [TABLE] [IF [NOT] EXISTS] [db.]name.
const DDL_TABLE = /^(?:ALTER|CREATE|DROP|RENAME|TRUNCATE)\s+(?:TABLE\s+)?(?:IF\s+(?:NOT\s+)?EXISTS\s+)?`?(?:([\w$]+)`?\.`?)?([\w$]+)`?/i;

/** The table a DDL statement names first; `database` is the statement's current database. */
export function ddlTable(sql: string, database: string): { database: string; table: string } | undefined {
  const match = DDL_TABLE.exec(sql);
  return match ? { database: match[1] ?? database, table: match[2]! } : undefined;
}
