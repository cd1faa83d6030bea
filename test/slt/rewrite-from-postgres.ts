// Rewrites the expectations of .slt files from a real PostgreSQL (the reference), so expected rows
// and error codes are PostgreSQL 15's own: node dist/test/slt/rewrite-from-postgres.js <url> file.slt…
import * as fs from 'fs';
import { Client } from 'pg';
import { formatSlt, readSlt } from './slt-file';
import { runBlock } from './slt-run';

async function main(): Promise<void> {
  const [url, ...files] = process.argv.slice(2);
  if (url === undefined || files.length === 0) {
    console.error('usage: rewrite-from-postgres <postgres-url> file.slt…');
    process.exit(2);
  }
  for (const file of files) {
    const client = new Client({ connectionString: url });
    await client.connect();
    // Each file runs in a scratch schema so reruns start clean.
    await client.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public');
    const blocks = readSlt(file);
    for (const b of blocks) {
      const o = await runBlock(client, b);
      if (b.kind === 'statement') b.expectError = o.errorCode;
      else if (o.errorCode !== null) throw new Error(`${file}:${b.line}: PostgreSQL rejects this query: ${o.errorMessage}`);
      else b.expected = o.rows!;
    }
    await client.end();
    fs.writeFileSync(file, formatSlt(blocks));
    console.log(`${file}: ${blocks.length} blocks rewritten`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
