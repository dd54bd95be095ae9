// After `vite build`: the JS and CSS that the app ships, each gzipped, and their total,
// which must stay within the budget (60 KB = 60,000 bytes gzipped). Exit 1 over budget.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 60_000;
const dir = new URL('../dist/assets/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => /\.(js|css)$/.test(f)).sort();
let raw = 0;
let gzipped = 0;
console.log('shipped JS and CSS (bytes):');
for (const file of files) {
  const bytes = readFileSync(join(dir, file));
  const gz = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gzipped += gz;
  console.log(`  ${file.padEnd(32)} ${String(bytes.length).padStart(7)} raw ${String(gz).padStart(7)} gzipped`);
}
const verdict = gzipped <= BUDGET ? 'within' : 'OVER';
console.log(`  ${'total'.padEnd(32)} ${String(raw).padStart(7)} raw ${String(gzipped).padStart(7)} gzipped: ${(gzipped / 1000).toFixed(1)} KB, ${verdict} the ${BUDGET / 1000} KB budget`);
if (gzipped > BUDGET) process.exit(1);
