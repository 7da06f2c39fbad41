// duckdb_query.cjs: run SQL statements in an in-memory DuckDB and print each
// result as JSON rows (argv[2]: a JSON array of statements).
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const out = [];
  for (const sql of JSON.parse(process.argv[2])) {
    const r = await con.runAndReadAll(sql);
    out.push(r.getRowObjectsJson());
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { process.stderr.write(String(e && e.message || e) + '\n'); process.exit(1); });
