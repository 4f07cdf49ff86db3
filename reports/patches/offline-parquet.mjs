// Makes Evidence work without internet access. Its query layer (@evidence-dev/universal-sql) reads
// and merges Parquet files with DuckDB-WASM's read_parquet, which first downloads DuckDB's Parquet
// extension from the internet; offline, `evidence sources` and `evidence build` wait forever and
// pages in the browser show no data. This replaces those three reads with parquet-wasm (already an
// Evidence dependency) loading Arrow into DuckDB tables. It runs after `npm install` here, checks
// the exact version and text it replaces, and fails loudly when either changed upstream.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXPECTED_VERSION = '3.0.1';
const MARK = '// steveslist offline-parquet patch';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '@evidence-dev', 'universal-sql');

// parquet-wasm cannot turn a file without rows into Arrow: such a table is created from the
// column types Evidence writes beside each file.
const EMPTY_TABLE_SQL = `const EMPTY_TABLE_TYPES = { number: 'DOUBLE', string: 'VARCHAR', date: 'TIMESTAMP', boolean: 'BOOLEAN' };
function emptyTableSql(source, table, schemaJson) {
\tconst columns = JSON.parse(schemaJson).map((c) => \`"\${c.name.replaceAll('"', '""')}" \${EMPTY_TABLE_TYPES[c.evidenceType] ?? 'VARCHAR'}\`);
\treturn \`CREATE TABLE "\${source}"."\${table}" (\${columns.join(', ')});\`;
}`;

const PATCHES = [
  {
    file: 'src/build-parquet.js',
    edits: [
      [
        "\tWriterPropertiesBuilder,\n\tTable\n} from 'parquet-wasm/node/arrow1.js';",
        `\tWriterPropertiesBuilder,\n\tTable,\n\treadParquet\n} from 'parquet-wasm/node/arrow1.js';\nimport { tableFromIPC, Table as ArrowTable } from 'apache-arrow';\n${MARK}`,
      ],
      [
        "\tawait initDB();\n\n\tconst outputFilepath = path.join(outDir, outputFilename);\n\n\tconst parquetFiles = tmpFilenames.map((filename) => `'${filename.replaceAll('\\\\', '/')}'`);\n\n\tconst select = `SELECT * FROM read_parquet([${parquetFiles.join(',')}])`;\n\tconst copy = `COPY (${select}) TO '${outputFilepath}' (FORMAT 'PARQUET', CODEC 'ZSTD', USE_TMP_FILE false);`;\n\n\tawait fs.mkdir(path.dirname(outputFilepath), { recursive: true });\n\tawait query(copy);\n",
        "\tconst outputFilepath = path.join(outDir, outputFilename);\n\tawait fs.mkdir(path.dirname(outputFilepath), { recursive: true });\n\tif (tmpFilenames.length === 1) {\n\t\tawait fs.copyFile(tmpFilenames[0], outputFilepath);\n\t} else {\n\t\tconst parts = [];\n\t\tfor (const tmpFile of tmpFilenames) parts.push(tableFromIPC(readParquet(await fs.readFile(tmpFile)).intoIPCStream()));\n\t\tconst merged = new ArrowTable(parts.flatMap((part) => part.batches));\n\t\tconst mergedProperties = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).build();\n\t\tawait fs.writeFile(outputFilepath, writeParquet(Table.fromIPCStream(tableToIPC(merged, 'stream')), mergedProperties));\n\t}\n",
      ],
      ["\t\tawait fs.rm(tmpFile, { force: true });\n\t}\n\tawait emptyDbFs('*');\n", '\t\tawait fs.rm(tmpFile, { force: true });\n\t}\n'],
      // An empty result still gets its (empty) file: the manifest lists it either way.
      ['\tif (!tmpFilenames.length) return 0;\n', '\tif (!tmpFilenames.length) await flush([]);\n'],
    ],
  },
  {
    file: 'src/client-duckdb/node.js',
    edits: [
      ["import { createRequire } from 'module';", `import { createRequire } from 'module';\nimport { readFileSync } from 'fs';\nimport { readParquet } from 'parquet-wasm/node/arrow1.js';\n${MARK}\n${EMPTY_TABLE_SQL}`],
      [
        "\t\t\tdb.registerFileURL(\n\t\t\t\tfile_name,\n\t\t\t\turl.split(pathDelimiterRegex).join(path.sep),\n\t\t\t\tDuckDBDataProtocol.NODE_FS,\n\t\t\t\tfalse\n\t\t\t);\n\t\t\tconnection.query(\n\t\t\t\t`CREATE OR REPLACE VIEW \"${source}\".\"${table}\" AS (SELECT * FROM read_parquet('${file_name}'));`\n\t\t\t);",
        "\t\t\tconnection.query(`DROP VIEW IF EXISTS \"${source}\".\"${table}\"; DROP TABLE IF EXISTS \"${source}\".\"${table}\";`);\n\t\t\tconst file = url.split(pathDelimiterRegex).join(path.sep);\n\t\t\tconst parquet = readParquet(readFileSync(file));\n\t\t\tif (parquet.numBatches === 0) connection.query(emptyTableSql(source, table, readFileSync(file.replace(/\\.parquet$/, '.schema.json'), 'utf8')));\n\t\t\telse connection.insertArrowFromIPCStream(parquet.intoIPCStream(), { schema: source, name: table, create: true });",
      ],
    ],
  },
  {
    file: 'src/client-duckdb/browser.js',
    edits: [
      ["export { tableFromIPC } from 'apache-arrow';", `export { tableFromIPC } from 'apache-arrow';\nimport initParquet, { readParquet } from 'parquet-wasm/esm/arrow1.js';\n${MARK}\n${EMPTY_TABLE_SQL}\n/** @type {Promise<unknown> | undefined} */\nlet parquetReady;`],
      [
        "\t\t\t\tawait db.registerFileURL(file_name, addBasePath(path), DuckDBDataProtocol.HTTP, false);\n\t\t\t\tawait connection.query(\n\t\t\t\t\t`CREATE OR REPLACE VIEW \"${source}\".\"${table}\" AS (SELECT * FROM read_parquet('${file_name}'));`\n\t\t\t\t);",
        "\t\t\t\tconst response = await fetch(addBasePath(path));\n\t\t\t\tif (!response.ok) throw new Error(`${addBasePath(path)}: HTTP ${response.status}`);\n\t\t\t\tconst bytes = new Uint8Array(await response.arrayBuffer());\n\t\t\t\tparquetReady ??= initParquet();\n\t\t\t\tawait parquetReady;\n\t\t\t\tawait connection.query(`DROP VIEW IF EXISTS \"${source}\".\"${table}\"; DROP TABLE IF EXISTS \"${source}\".\"${table}\";`);\n\t\t\t\tconst parquet = readParquet(bytes);\n\t\t\t\tif (parquet.numBatches === 0) await connection.query(emptyTableSql(source, table, await (await fetch(addBasePath(path).replace(/\\/[0-9a-f]{32}\\/([^/]+)\\.parquet$/, '/$1.schema.json').replace(/\\.parquet$/, '.schema.json'))).text()));\n\t\t\t\telse await connection.insertArrowFromIPCStream(parquet.intoIPCStream(), { schema: source, name: table, create: true });",
      ],
    ],
  },
];

function fail(message) {
  console.error(`offline-parquet patch: ${message}`);
  process.exit(1);
}

if (!existsSync(join(root, 'package.json'))) fail(`${root} is missing: is @evidence-dev/evidence installed?`);
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
if (version !== EXPECTED_VERSION) {
  fail(`@evidence-dev/universal-sql is ${version}, the patch is written for ${EXPECTED_VERSION}: check that the offline Parquet problem remains and adapt reports/patches/offline-parquet.mjs`);
}
for (const { file, edits } of PATCHES) {
  const path = join(root, file);
  let text = readFileSync(path, 'utf8');
  if (text.includes(MARK)) continue;
  for (const [from, to] of edits) {
    if (!text.includes(from)) fail(`${file} no longer contains the text to replace:\n${from}`);
    text = text.replace(from, to);
  }
  writeFileSync(path, text);
  console.log(`offline-parquet patch: patched ${file}`);
}
