// Confines analyst SQL to the warehouse's own databases, on ClickHouse's own parse of the query:
// formatQuery proves it is one statement and gives its canonical text, EXPLAIN AST gives the
// tree that text parses to, and the canonical text is what runs. Anything the guard cannot
// read or does not know is refused (fails closed). chDB has no user-files restriction and runs
// several statements in one call, so this check is what keeps analysts off the server's files,
// the network and other databases; the trailing SETTINGS of analystQuerySettings keeps their limits.
import { readAll, type ClickHouseClient } from './client.js';
import { readExplainAst, UnreadableAst, walkAst, type AstNode } from './analyst-ast.js';
import { AnalystQueryError, AnalystQueryRefused, inAnalystTerms } from './analyst-errors.js';
import { ALLOWED_FORMATS, ANALYST_DATABASES, ANALYST_QUERY_BOUNDS, ANALYST_SYSTEM_TABLES, refusedFunction } from './analyst-rules.js';

/**
 * Runs one statement on the warehouse, as the user and in the database the analyst's query will
 * run in, and returns the result as TabSeparated text (ClickHouse's default format). The guard's
 * own statements carry no FORMAT clause.
 */
export type AskWarehouse = (sql: string) => Promise<string>;

export interface ConfineOptions {
  /** Whether the analyst may end the query with FORMAT (the served HTTP interface passes it on); default true. */
  formatClause?: boolean;
}

const ALLOWED_EXPLAIN = new Set(['EXPLAIN', 'EXPLAIN AST', 'EXPLAIN SYNTAX', 'EXPLAIN PIPELINE', 'EXPLAIN QUERY TREE', 'EXPLAIN ESTIMATE']);
const IN_FUNCTIONS = new Set(['in', 'notin', 'globalin', 'globalnotin', 'nullin', 'notnullin', 'globalnullin', 'globalnotnullin']);
const PLAIN_NAME = /^[A-Za-z0-9_]+$/;
const READ_ONLY = 'only SELECT, SHOW TABLES, SHOW DATABASES, DESCRIBE, EXISTS and EXPLAIN of a SELECT';
const CATALOG = `analysts read the warehouse's databases (${ANALYST_DATABASES.join(', ')}) and the catalog tables (system.tables, system.columns, system.databases, system.functions, information_schema, ...)`;

/** What the tree names that only the warehouse can resolve. */
interface Names {
  unqualifiedTables: Set<string>;
  functions: Set<string>;
}

/** Returns the canonical text of the one statement to run, or throws AnalystQueryRefused naming what is not allowed. */
export async function confineAnalystQuery(ask: AskWarehouse, sql: string, options: ConfineOptions = {}): Promise<string> {
  if (!sql.trim()) throw new AnalystQueryError('the query is empty');
  const canonical = await canonicalStatement(ask, sql);
  let tree: AstNode;
  try {
    tree = readExplainAst(unescapeTsv(await askClickHouseAbout(ask, `EXPLAIN AST ${canonical}`, sql)));
  } catch (error) {
    if (error instanceof UnreadableAst) throw new AnalystQueryRefused(`the query cannot be checked (${error.message}); quoted names holding line breaks are not allowed`);
    throw error;
  }
  const names: Names = { unqualifiedTables: new Set(), functions: new Set() };
  checkStatement(tree, canonical, options, names);
  await checkNamesInWarehouse(ask, names);
  return canonical;
}

/** The settings every analyst query runs with, as a trailing clause: they hold for this query only. */
export function analystQuerySettings(limits: { maxRows: number; timeoutSeconds: number; extra?: Record<string, string | number> }): string {
  const settings: [string, string][] = [
    ...Object.entries(limits.extra ?? {}).map(([k, v]): [string, string] => [k, typeof v === 'number' ? String(v) : sqlString(v)]),
    ...analystLimitSettings(limits),
    ['readonly', '2'],
  ];
  return `SETTINGS ${settings.map(([k, v]) => `${k} = ${v}`).join(', ')}`;
}

/**
 * An analyst query's limits and catalog filters as settings with SQL values: a trailing clause in
 * process, SET on its own session by the served warehouse.
 */
export function analystLimitSettings(limits: { maxRows: number; timeoutSeconds: number }): [string, string][] {
  return [
    ...Object.entries(ANALYST_QUERY_BOUNDS),
    ['max_execution_time', String(limits.timeoutSeconds)],
    ['max_result_rows', String(limits.maxRows)],
    ['result_overflow_mode', sqlString('throw')],
    ['additional_table_filters', catalogFilters()],
  ];
}

/** The additional_table_filters value (a map literal) that shows analysts the warehouse's databases only in the catalog tables (information_schema reads them too). */
function catalogFilters(): string {
  const databases = ANALYST_DATABASES.map(sqlString).join(', ');
  return `{${sqlString('system.tables')}: ${sqlString(`database IN (${databases})`)}, ${sqlString('system.columns')}: ${sqlString(`database IN (${databases})`)}, ${sqlString('system.databases')}: ${sqlString(`name IN (${databases})`)}}`;
}

/** An AskWarehouse over @clickhouse/client (chDB or a ClickHouse server): nothing stays on the session. */
export function askClickHouse(client: ClickHouseClient): AskWarehouse {
  return async (sql) => {
    // default_format is the HTTP interface's URL parameter; the chDB connection passes it as the format option, not SET.
    const { stream } = await client.exec({ query: sql, clickhouse_settings: { default_format: 'TabSeparated' } as never });
    return (await readAll(stream)).toString('utf8');
  };
}

async function canonicalStatement(ask: AskWarehouse, sql: string): Promise<string> {
  // Hex keeps the analyst's text a value: no quoting of it can end the literal.
  const wrapped = `SELECT hex(formatQuery(unhex('${Buffer.from(sql, 'utf8').toString('hex')}')))`;
  try {
    const hex = (await askClickHouseAbout(ask, wrapped, sql)).trim();
    return Buffer.from(hex, 'hex').toString('utf8');
  } catch (error) {
    const message = (error as Error).message;
    if (/multi-?statements? (are|is) not allowed/i.test(message)) {
      throw new AnalystQueryRefused('more than one statement is not allowed: run one statement at a time', { cause: error });
    }
    throw error;
  }
}

/** ClickHouse refusing the analyst's text (a syntax error) is the analyst's error, not the warehouse's. */
async function askClickHouseAbout(ask: AskWarehouse, sql: string, analyst: string): Promise<string> {
  try {
    return await ask(sql);
  } catch (error) {
    const message = (error as Error).message ?? '';
    if (/multi-?statements? (are|is) not allowed/i.test(message)) throw error;
    if (/syntax error|SYNTAX_ERROR|Empty query|EMPTY_QUERY/i.test(message)) {
      throw new AnalystQueryError(inAnalystTerms(message, { text: sql, analyst }), { cause: error });
    }
    throw error;
  }
}

function checkStatement(root: AstNode, canonical: string, options: ConfineOptions, names: Names): void {
  switch (root.kind) {
    case 'SelectWithUnionQuery':
      checkQuery(root, options, names);
      return;
    case 'DescribeQuery': {
      const [table, ...tail] = root.children;
      if (table?.kind !== 'TableExpression') break;
      checkQuery(table, options, names);
      checkTail(tail, options, 'formats');
      return;
    }
    case 'ExistsTableQuery':
    case 'ExistsDatabaseQuery':
      // Says only whether a name exists; its names are not read.
      checkTail(root.children, options, 'names');
      return;
    case 'ShowTables':
      // SHOW TABLES/DATABASES read system.tables/databases, which the query's settings confine;
      // the same node serves SHOW SETTINGS, DICTIONARIES, CLUSTERS..., told apart by ClickHouse's own text.
      if (!/^SHOW (TABLES|DATABASES)(\s|$)/.test(canonical)) break;
      checkTail(root.children, options, 'names');
      return;
    case 'Explain': {
      if (!ALLOWED_EXPLAIN.has(root.detail)) break;
      // EXPLAIN's own options (indexes=1, ...) are its first child; they are not query settings.
      const children = root.children[0]?.kind === 'Set' ? root.children.slice(1) : root.children;
      const [inner, ...tail] = children;
      if (inner?.kind !== 'SelectWithUnionQuery') {
        throw new AnalystQueryRefused(`${root.detail} of anything but a SELECT is not allowed: ${READ_ONLY}`);
      }
      checkQuery(inner, options, names);
      checkTail(tail, options, 'formats');
      return;
    }
    default:
      break;
  }
  const words = canonical.split(/\s+/, 2).map((w) => w.toUpperCase());
  const statement = root.kind === 'Explain' ? root.detail : words[0] === 'SHOW' ? words.join(' ') : words[0];
  throw new AnalystQueryRefused(`the warehouse is read-only for analyst SQL: ${statement} is not allowed (${READ_ONLY}, as for ClickHouse's readonly users)`);
}

/** A query with its subqueries, CTEs, joins and expressions: every node is checked. */
function checkQuery(query: AstNode, options: ConfineOptions, names: Names): void {
  for (const { node, parent } of walkAst(query)) {
    switch (node.kind) {
      case 'Function': {
        const name = node.detail.split(' ', 1)[0]!;
        names.functions.add(name);
        const refused = refusedFunction(name, parent?.kind === 'TableExpression');
        if (refused) throw new AnalystQueryRefused(refused);
        if (IN_FUNCTIONS.has(name.toLowerCase())) {
          // `x IN t` reads table t.
          const right = node.children[0]?.children[1];
          if (right?.kind === 'Identifier') checkTable(right.detail, names);
        }
        break;
      }
      case 'TableIdentifier':
        checkTable(node.detail, names);
        break;
      case 'Set':
        throw new AnalystQueryRefused('a SETTINGS clause is not allowed: analyst queries run with the warehouse\'s settings and limits');
      case 'SelectWithUnionQuery':
        checkTail(node.children.slice(1), options, 'formats');
        break;
      default:
        break;
    }
  }
}

/** What may follow a statement: FORMAT (an Identifier), never INTO OUTFILE (a Literal) or SETTINGS. */
function checkTail(tail: AstNode[], options: ConfineOptions, identifiers: 'formats' | 'names'): void {
  for (const node of tail) {
    if (node.kind === 'Literal') throw new AnalystQueryRefused('INTO OUTFILE is not allowed: results go to the analyst, never to the warehouse\'s files');
    if (node.kind === 'Set') throw new AnalystQueryRefused('a SETTINGS clause is not allowed: analyst queries run with the warehouse\'s settings and limits');
    if (node.kind !== 'Identifier') throw new AnalystQueryRefused(`the query cannot be checked: unexpected ${node.kind} after the statement`);
    if (identifiers === 'names') continue;
    if (options.formatClause === false) throw new AnalystQueryRefused('a FORMAT clause is not allowed here: choose the output format with the tool\'s format option');
    if (!ALLOWED_FORMATS.has(node.detail.toLowerCase())) throw new AnalystQueryRefused(`FORMAT ${node.detail} is not allowed: use an output format such as CSV, TSV, JSONEachRow, Parquet or Arrow`);
  }
}

function checkTable(detail: string, names: Names): void {
  const name = detail.split(' ', 1)[0]!;
  const rest = detail.slice(name.length);
  const parts = name.split('.');
  if ((rest && !/^ \(alias .*\)$/.test(rest)) || parts.length > 2 || !parts.every((part) => PLAIN_NAME.test(part))) {
    throw new AnalystQueryRefused(`table ${JSON.stringify(detail)} cannot be checked: name tables as database.table with plain names`);
  }
  if (parts.length === 1) {
    // A CTE's name, or a table of the current database: the warehouse tells which.
    names.unqualifiedTables.add(name);
    return;
  }
  if ((ANALYST_DATABASES as readonly string[]).includes(parts[0]!) || ANALYST_SYSTEM_TABLES.has(name) || ANALYST_SYSTEM_TABLES.has(name.toLowerCase()) && parts[0] === 'INFORMATION_SCHEMA') return;
  throw new AnalystQueryRefused(`table ${name} is not allowed: ${CATALOG}`);
}

/**
 * The engine's own functions, read once: they change only with its version, and a user-defined
 * function can never take a built-in's name, so a query naming only these needs no look-up
 * (reading system.functions is most of what confining a query costs).
 */
let builtinFunctions: Promise<Set<string>> | undefined;

function builtins(ask: AskWarehouse): Promise<Set<string>> {
  builtinFunctions ??= ask("SELECT name FROM system.functions WHERE origin = 'System'")
    .then((text) => new Set(text.split('\n').filter(Boolean).map(unescapeTsv)))
    .catch((error: unknown) => {
      builtinFunctions = undefined;
      throw error;
    });
  return builtinFunctions;
}

/**
 * What only the warehouse knows: whether an unqualified name is a table of the current database
 * (not a CTE), whether a function is user-defined (its body is not in the tree), and whether a
 * database or table name could print like another in EXPLAIN AST (`raw.x` quoted as one name).
 */
async function checkNamesInWarehouse(ask: AskWarehouse, names: Names): Promise<void> {
  const list = (values: Set<string>) => (values.size === 0 ? "CAST([], 'Array(String)')" : `[${[...values].map((v) => `unhex('${Buffer.from(v, 'utf8').toString('hex')}')`).join(', ')}]`);
  const plain = "'^[A-Za-z0-9_]+$'";
  const known = await builtins(ask);
  const unknown = new Set([...names.functions].filter((name) => !known.has(name)));
  const found = await ask([
    `SELECT 'database', name FROM system.databases WHERE NOT match(name, ${plain})`,
    // In raw or marts (a client's chosen database, as JDBC tools send it) a bare name is one of theirs.
    `SELECT 'table', name FROM system.tables WHERE database = currentDatabase() AND (NOT match(name, ${plain}) OR (has(${list(names.unqualifiedTables)}, name) AND currentDatabase() NOT IN (${ANALYST_DATABASES.map(sqlString).join(', ')})))`,
    ...(unknown.size > 0 ? [`SELECT 'function', name FROM system.functions WHERE origin != 'System' AND has(${list(unknown)}, name)`] : []),
  ].join(' UNION ALL '));
  const [kind, name] = found.split('\n').find(Boolean)?.split('\t') ?? [];
  if (kind === 'function') throw new AnalystQueryRefused(`user-defined function ${name}() is not allowed: analysts use ClickHouse's own functions`);
  if (kind === 'table' && names.unqualifiedTables.has(unescapeTsv(name!))) throw new AnalystQueryRefused(`table ${name} is not allowed: name the database (${ANALYST_DATABASES.map((db) => `${db}.${name}`).join(' or ')}); ${CATALOG}`);
  if (kind) throw new AnalystQueryRefused(`the query cannot be checked: the warehouse holds ${kind} ${JSON.stringify(name)}, whose name could stand for another`);
}

/** TabSeparated escapes \t, \n, \\ and quotes inside a value. */
function unescapeTsv(text: string): string {
  const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', '\\': '\\', "'": "'", '"': '"' };
  return text.replace(/\\(.)/g, (all, c: string) => map[c] ?? all);
}

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
