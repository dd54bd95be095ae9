// Code and collections generated from the contract, docs/openapi.yaml:
//   web/src/api/schema.d.ts                       TypeScript types (openapi-typescript)
//   docs/postman_collection.json                  Postman collection (openapi-to-postmanv2)
//   docs/task-api-{local,deployed}.postman_environment.json   its two environments
//
//   node scripts/generate.mjs           write them
//   node scripts/generate.mjs --check   write them to a temporary folder and compare with the
//                                       committed files; exit 1 naming each stale one
//
// openapi-to-postmanv2's output is not deterministic: every item and response gets a random
// UUID on each run, and values without an example in the contract are drawn at random. So
// ids are replaced with ones derived from each object's place in the collection (a
// UUID-shaped SHA-1 of its JSON path), and the conversion runs with a seeded Math.random:
// the same contract always gives the same files, byte for byte. The other changes to the
// converter's output are listed in adjustCollection below.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import openapiTS, { astToString } from 'openapi-typescript';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
const spec = join(root, 'docs', 'openapi.yaml');

const outputs = {
  'web/src/api/schema.d.ts': typescriptTypes,
  'docs/postman_collection.json': postmanCollection,
  'docs/task-api-local.postman_environment.json': () => environment('local'),
  'docs/task-api-deployed.postman_environment.json': () => environment('deployed'),
};

async function typescriptTypes() {
  const ast = await openapiTS(new URL(`file://${spec}`));
  return (
    '// Generated from docs/openapi.yaml by web/scripts/generate.mjs (npm --prefix web run generate).\n' +
    '// Do not edit: make test fails when this file is stale.\n' +
    astToString(ast)
  );
}

function convert() {
  const options = {
    folderStrategy: 'Tags',
    requestParametersResolution: 'Example',
    exampleParametersResolution: 'Example',
    // Optional query parameters and headers start unticked: a send as generated must be a
    // valid request (an enabled `status=<string>` would be a 400).
    enableOptionalParameters: false,
    includeAuthInfoInExample: false,
  };
  return new Promise((done, fail) =>
    Converter.convert({ type: 'string', data: readFileSync(spec, 'utf8') }, options, (error, result) => {
      if (error) fail(error);
      else if (!result.result) fail(new Error(result.reason));
      else done(result.output[0].data);
    }),
  );
}

function stableUuid(path) {
  const h = createHash('sha1').update(`task-api-postman:${path}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function stableIds(node, path = '') {
  if (Array.isArray(node)) node.forEach((child, i) => stableIds(child, `${path}/${i}`));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'id' || key === '_postman_id') && typeof value === 'string') node[key] = stableUuid(`${path}/${key}`);
      else stableIds(value, `${path}/${key}`);
    }
  }
}

// What the converter cannot know from the contract alone:
// - the token: the contract's `cognitoIdToken` scheme becomes the collection's API-key auth;
//   its value is the environment variable {{idToken}} (the converter names it {{apiKey}});
// - a create's Idempotency-Key: a fresh {{$guid}} per send instead of the contract's example
//   key, which would replay (or 422) every create after the first;
// - PUT and PATCH share a summary, so each request's name is prefixed with its method.
function adjustCollection(collection) {
  for (const entry of collection.auth?.apikey ?? []) {
    if (entry.key === 'value') entry.value = '{{idToken}}';
  }
  const visit = (items) => {
    for (const item of items) {
      if (item.item) visit(item.item);
      if (!item.request) continue;
      item.name = `${item.request.method} ${item.name}`;
      for (const header of item.request.header ?? []) {
        if (header.key === 'Idempotency-Key') header.value = '{{$guid}}';
      }
    }
  };
  visit(collection.item);
  stableIds(collection);
  return collection;
}

async function postmanCollection() {
  return JSON.stringify(adjustCollection(await convert()), null, 2) + '\n';
}

function environment(kind) {
  const local = kind === 'local';
  const env = {
    id: stableUuid(`environment/${kind}`),
    name: local ? 'Task API: local (make dev)' : 'Task API: deployed',
    values: [
      {
        key: 'baseUrl',
        // Deployed: the stack's SiteUrl output (the API is behind the same CloudFront
        // distribution, at /tasks), or its ApiUrl output without the trailing slash.
        value: local ? 'http://127.0.0.1:9000' : 'https://d111111abcdef8.cloudfront.net',
        type: 'default',
        enabled: true,
      },
      {
        key: 'idToken',
        // Locally every request acts as the local caller and the header is ignored.
        // Deployed: a Cognito ID token of the stack's app client (README, "Deploying").
        value: '',
        type: 'secret',
        enabled: true,
      },
    ],
    _postman_variable_scope: 'environment',
  };
  return JSON.stringify(env, null, 2) + '\n';
}

// The converter fills values that the contract gives no example for (an enum query parameter,
// say) from json-schema-faker, which keeps a reference to Math.random taken when it is
// loaded: a seeded generator installed before the import makes those draws the same on
// every run.
function seededRandom(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
Math.random = seededRandom(11);
const { default: Converter } = await import('openapi-to-postmanv2');

async function main() {
  const check = process.argv.includes('--check');
  const target = check ? mkdtempSync(join(tmpdir(), 'task-api-generated-')) : root;
  let stale = 0;
  try {
    for (const [file, make] of Object.entries(outputs)) {
      const text = await make();
      const path = join(target, file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      if (!check) {
        console.log(`wrote ${file}`);
        continue;
      }
      let committed = null;
      try {
        committed = readFileSync(join(root, file), 'utf8');
      } catch {}
      if (committed === text) {
        console.log(`up to date: ${file}`);
        continue;
      }
      stale++;
      console.log(`STALE: ${file} differs from what docs/openapi.yaml generates:`);
      const diff = spawnSync('diff', ['-u', join(root, file), path], { encoding: 'utf8' });
      console.log((diff.stdout || '(missing)').split('\n').slice(0, 40).join('\n'));
    }
  } finally {
    if (check) rmSync(target, { recursive: true, force: true });
  }
  if (stale) {
    console.log(`${stale} generated file(s) stale: run \`npm --prefix web run generate\` and commit the result`);
    process.exit(1);
  }
}

await main();
