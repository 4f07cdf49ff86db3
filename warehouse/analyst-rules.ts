// What analyst SQL may name: the lists the guard (analyst-guard.ts) checks ClickHouse's parse
// against. Names are compared lower-cased: ClickHouse accepts `FiLe(...)` as file().
import { availableParallelism } from 'node:os';

/** The warehouse's own databases: every table in them is the analysts'. */
export const ANALYST_DATABASES = ['raw', 'marts'] as const;

/**
 * Tables outside raw and marts that analysts' tools read. The rows of tables, columns and
 * databases are confined to raw and marts by the query's settings (analystQuerySettings), and
 * information_schema's views read those three.
 */
export const ANALYST_SYSTEM_TABLES = new Set([
  'system.one', 'system.numbers', 'system.numbers_mt', 'system.zeros', 'system.zeros_mt',
  'system.tables', 'system.columns', 'system.databases',
  'system.functions', 'system.table_functions', 'system.aggregate_function_combinators',
  'system.data_type_families', 'system.formats', 'system.time_zones',
  'information_schema.tables', 'information_schema.columns', 'information_schema.schemata', 'information_schema.views',
]);

/**
 * Table functions that only generate rows from their arguments (or, for view(), from a query
 * the guard checks like any other). Every other one reaches something outside the warehouse's
 * databases: files (file, filesystem, iceberg/deltaLake/hudi/paimon local), URLs and object
 * stores (url, s3, gcs, oss, cosn, azureBlobStorage, hdfs), other servers (remote, cluster,
 * mysql, postgresql, mongodb, redis, sqlite, jdbc, odbc, ytsaurus, prometheusQuery), processes
 * (executable), the request body (input), other tables by name (merge, loop, dictionary,
 * mergeTreeIndex, timeSeries*), so it is refused, and so is any ClickHouse adds later.
 */
export const ALLOWED_TABLE_FUNCTIONS = new Set([
  'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'primes', 'generaterandom', 'generate_series', 'generateseries',
  'values', 'sqlstandardvalues', 'null', 'view',
]);

/**
 * Table functions of ClickHouse 26.7 (system.table_functions in chDB) that are not allowed:
 * refused also where they appear outside FROM (`x IN url(...)`), and the test checks this list
 * covers every table function the engine knows that is not allowed.
 */
export const REFUSED_TABLE_FUNCTIONS = new Set([
  // format() parses its text with any input format, and some of those read schema or template
  // files or fetch a schema registry named by settings: not worth an allowlist of its own.
  'format',
  'arrowstream', 'azureblobstorage', 'azureblobstoragecluster', 'cluster', 'clusterallreplicas', 'cosn',
  'deltalake', 'deltalakeazure', 'deltalakeazurecluster', 'deltalakecluster', 'deltalakelocal', 'deltalakes3', 'deltalakes3cluster',
  'dictionary', 'eval', 'executable', 'file', 'filecluster', 'filesystem', 'fuzzjson', 'fuzzquery', 'gcs', 'hdfs', 'hdfscluster',
  'hudi', 'hudicluster', 'iceberg', 'icebergazure', 'icebergazurecluster', 'icebergcluster', 'iceberghdfs', 'iceberghdfscluster',
  'iceberglocal', 'iceberglocalcluster', 'icebergs3', 'icebergs3cluster', 'input', 'jdbc', 'loop', 'merge',
  'mergetreeanalyzeindexes', 'mergetreeanalyzeindexesuuid', 'mergetreeindex', 'mergetreeprojection', 'mergetreetextindex',
  'mongodb', 'mysql', 'odbc', 'oss', 'paimon', 'paimonazure', 'paimonazurecluster', 'paimoncluster', 'paimonhdfs', 'paimonhdfscluster',
  'paimonlocal', 'paimons3', 'paimons3cluster', 'postgresql', 'prometheusquery', 'prometheusqueryrange', 'redis', 'remote', 'remotesecure',
  's3', 's3cluster', 'sqlite', 'timeseriesdata', 'timeseriesmetrics', 'timeseriessamples', 'timeseriesselector', 'timeseriestags',
  'url', 'urlcluster', 'viewexplain', 'viewifpermitted', 'ytsaurus',
]);

/**
 * Scalar functions that reach outside the query's own rows: ClickHouse has ~1,800 functions, so
 * this is a list of the ones that do (reviewed against system.functions of 26.7), not of the
 * ones that don't. Why each is here:
 * - read the server's files or disks: file, filesystemAvailable/Capacity/Unreserved;
 * - load models or dictionaries from the server's configuration, whose sources may be other
 *   databases or files: catboostEvaluate, naiveBayesClassifier*, dictGet*, dictHas, dictIsIn;
 * - read any table by name: joinGet, joinGetOrNull, hasColumnInTable;
 * - reveal the host and its configuration: hostName, FQDN, getMacro, getServerSetting,
 *   getMergeTreeSetting, getServerPort, tcpPort, serverUUID, getOSKernelVersion, displayName,
 *   getClientHTTPHeader, buildId;
 * - write outside the query: generateSerialID (Keeper), logTrace (the server log);
 * - introspect the server's memory: addressToLine*, addressToSymbol, demangle;
 * - internal functions (`__getScalar`, ...), refused by their prefix.
 */
const REFUSED_SCALAR_FUNCTIONS = new Set([
  'file', 'filesystemavailable', 'filesystemcapacity', 'filesystemunreserved',
  'catboostevaluate', 'modelevaluate', 'naivebayesclassifier', 'naivebayesclassifierwithallprobs', 'naivebayesclassifierwithprob',
  'dicthas', 'dictisin', 'joinget', 'joingetornull', 'hascolumnintable',
  'hostname', 'fqdn', 'fullhostname', 'getmacro', 'getserversetting', 'getmergetreesetting', 'getserverport', 'tcpport',
  'serveruuid', 'getoskernelversion', 'displayname', 'getclienthttpheader', 'buildid',
  'generateserialid', 'logtrace', 'addresstoline', 'addresstolinewithinlines', 'addresstosymbol', 'demangle',
]);

/** Why a function (any position) is refused, or undefined when it is allowed there. */
export function refusedFunction(name: string, inFrom: boolean): string | undefined {
  const lower = name.toLowerCase();
  if (inFrom) {
    return ALLOWED_TABLE_FUNCTIONS.has(lower) ? undefined : `table function ${name}() is not allowed: analysts read the warehouse's databases (${ANALYST_DATABASES.join(', ')}) only`;
  }
  if (REFUSED_SCALAR_FUNCTIONS.has(lower) || lower.startsWith('dictget') || lower.startsWith('__')) {
    return `function ${name}() is not allowed: it reaches outside the warehouse's databases`;
  }
  if (REFUSED_TABLE_FUNCTIONS.has(lower)) return `table function ${name}() is not allowed: analysts read the warehouse's databases (${ANALYST_DATABASES.join(', ')}) only`;
  return undefined;
}

/**
 * Output formats a FORMAT clause may name. Formats that read a schema or template file
 * (Template, CapnProto, Protobuf, CustomSeparated with its settings) are left out.
 */
export const ALLOWED_FORMATS = new Set([
  'tabseparated', 'tabseparatedraw', 'tabseparatedwithnames', 'tabseparatedwithnamesandtypes', 'tabseparatedrawwithnames', 'tabseparatedrawwithnamesandtypes',
  'tsv', 'tsvraw', 'tsvwithnames', 'tsvwithnamesandtypes', 'tsvrawwithnames', 'tsvrawwithnamesandtypes',
  'csv', 'csvwithnames', 'csvwithnamesandtypes',
  'json', 'jsonstrings', 'jsoncompact', 'jsoncompactstrings', 'jsoncolumns', 'jsoncolumnswithmetadata', 'jsoncompactcolumns',
  'jsoneachrow', 'jsonlines', 'ndjson', 'jsonstringseachrow', 'jsoncompacteachrow', 'jsoncompacteachrowwithnames', 'jsoncompacteachrowwithnamesandtypes',
  'jsoncompactstringseachrow', 'jsoncompactstringseachrowwithnames', 'jsoncompactstringseachrowwithnamesandtypes', 'jsonobjecteachrow', 'jsoneachrowwithprogress',
  'pretty', 'prettycompact', 'prettycompactmonoblock', 'prettynoescapes', 'prettycompactnoescapes', 'prettymonoblock', 'prettyspace', 'prettyspacenoescapes',
  'vertical', 'markdown', 'xml', 'values', 'tskv', 'sqlinsert',
  'arrow', 'arrowstream', 'parquet', 'orc', 'avro', 'native', 'rowbinary', 'rowbinarywithnames', 'rowbinarywithnamesandtypes',
  'msgpack', 'bsoneachrow', 'rawblob', 'null',
]);

/** What one analyst query may spend besides rows and seconds: memory and result size (the process also loads the warehouse and serves the marketplace). */
export const ANALYST_QUERY_BOUNDS = {
  max_memory_usage: String(2 * 1024 ** 3),
  max_result_bytes: String(1024 ** 3),
  // Half the cores at most: the loader and the API keep the rest.
  max_threads: String(Math.max(1, Math.floor(availableParallelism() / 2))),
};
