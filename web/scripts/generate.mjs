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
// converter's output are listed in adjustCollection below; asFlow makes the collection a flow
// that Postman's runner (or newman) runs green against a stack, from the contract's links.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import yaml from 'js-yaml';
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
// - PUT and PATCH share a summary, so each request's name is prefixed with its method;
// - a request that would delete the account whose token it sends (DELETE /account) is kept
//   but never sent unless asked for: see OUT_OF_RUNS.
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
  asFlow(collection, yaml.load(readFileSync(spec, 'utf8')));
  stableIds(collection);
  return collection;
}

// Operations that stay in the collection but that a run of it must not send: a run against
// a deployed stack, with a user's ID token in the environment, would delete that user's
// account and every task of theirs. Each gets a pre-request script that skips it
// (pm.execution.skipRequest, in newman since 6.1 and in the Postman app) unless the named collection
// variable is "yes", set by hand to send it on purpose; its test script still checks the answer.
const OUT_OF_RUNS = { deleteAccount: 'confirmDeleteAccount' };

// The collection as a flow, run in order. Every fact comes from the contract, none from a
// list kept here:
// - the responses' `links` say which value of an answer another operation takes as which
//   parameter (createTask's 201: `taskId` from the body, `If-Match` from the `ETag` header).
//   Each such value becomes a collection variable, named after its source (`taskId`, `etag`),
//   stored by a test script of the request that produces it; every request with a parameter
//   of that name sends the variable (an optional header such as `If-Match` is switched on).
//   A variable read from a header is stored again by each later answer that carries that
//   header (an update's new `ETag`). A link back to the same operation (the next page of a
//   listing) is not part of the flow;
// - the requests run in an order where each variable is stored before it is used, and
//   deletes last;
// - each request's test script checks the status (the operation's 2xx responses), the
//   headers those responses require, and the answer's shape against their JSON schema,
//   without `pattern`s: value rules, which schemathesis checks in make test, and which
//   Postman's JSON-schema validator (Ajv 6, without Unicode regular expressions) cannot
//   compile for the title.
function asFlow(collection, contract) {
  const resolve = (node) => {
    while (node?.$ref) {
      node = node.$ref.slice(2).split('/').reduce((at, key) => at[key.replace(/~1/g, '/')], contract);
    }
    return node;
  };
  const inline = (node) => {
    node = resolve(node);
    if (Array.isArray(node)) return node.map(inline);
    if (!node || typeof node !== 'object') return node;
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      // `properties` holds names, not keywords: a property called `description` stays.
      if (key === 'properties') {
        out.properties = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, inline(schema)]));
      } else if (!['pattern', 'description', 'example', 'examples'].includes(key)) {
        out[key] = inline(value);
      }
    }
    return out;
  };
  const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  const operations = [];
  for (const [path, pathItem] of Object.entries(contract.paths)) {
    for (const method of methods.filter((m) => pathItem[m])) {
      const operation = pathItem[method];
      const parameters = [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])].map(resolve);
      const successes = Object.entries(operation.responses)
        .filter(([status]) => /^2\d\d$/.test(status))
        .map(([status, response]) => [Number(status), resolve(response)]);
      operations.push({ path, method, operation, parameters, successes });
    }
  }
  // variable name -> { header or body pointer it is read from, producer (operationId) };
  // parameter name -> variable name
  const variables = new Map();
  const parameterVariable = new Map();
  for (const { operation, successes } of operations) {
    for (const [, response] of successes) {
      for (const link of Object.values(response.links ?? {}).map(resolve)) {
        if (link.operationId === operation.operationId) continue;
        for (const [parameter, source] of Object.entries(link.parameters ?? {})) {
          const header = /^\$response\.header\.(.+)$/.exec(source);
          const body = /^\$response\.body#(\/.*)$/.exec(source);
          if (!header && !body) throw new Error(`link ${operation.operationId}: unsupported source ${source}`);
          const name = header
            ? header[1].toLowerCase().replace(/-(.)/g, (_, c) => c.toUpperCase())
            : body[1].split('/').pop();
          variables.set(name, { header: header?.[1], pointer: body?.[1], producer: operation.operationId });
          parameterVariable.set(parameter.replace(/^(path|query|header)\./, ''), name);
        }
      }
    }
  }
  const operationOf = (item) => {
    const path = '/' + item.request.url.path.map((p) => p.replace(/^:(.+)$/, '{$1}')).join('/');
    const found = operations.find((o) => o.path === path && o.method === item.request.method.toLowerCase());
    if (!found) throw new Error(`no operation in the contract for ${item.request.method} ${path}`);
    return found;
  };
  const uses = (item) =>
    operationOf(item)
      .parameters.map((p) => parameterVariable.get(p.name))
      .filter(Boolean);
  const rank = (item) => (item.request.method === 'DELETE' ? 2 : uses(item).length ? 1 : 0);
  for (const folder of [collection, ...collection.item.filter((i) => i.item)]) {
    folder.item = folder.item
      .map((item, i) => [item, i])
      .sort(([a, i], [b, j]) => (a.item || b.item ? 0 : rank(a) - rank(b)) || i - j)
      .map(([item]) => item);
  }
  const ordered = [];
  const walk = (list) => list.forEach((item) => (item.item ? walk(item.item) : ordered.push(item)));
  walk(collection.item);
  const stored = new Set();
  for (const item of ordered) {
    const { operation, parameters, successes } = operationOf(item);
    for (const name of uses(item)) {
      if (!stored.has(name)) {
        throw new Error(`${operation.operationId} uses {{${name}}} before ${variables.get(name).producer} stores it`);
      }
    }
    for (const parameter of parameters) {
      const name = parameterVariable.get(parameter.name);
      if (!name) continue;
      const where = { path: item.request.url.variable, header: item.request.header, query: item.request.url.query };
      const entry = where[parameter.in].find((e) => e.key === parameter.name);
      entry.value = `{{${name}}}`;
      if (entry.disabled) entry.disabled = false;
    }
    const statuses = successes.map(([status]) => status);
    const headers = new Set(
      successes.flatMap(([, r]) => Object.entries(r.headers ?? {}).filter(([, h]) => resolve(h).required)).map(([n]) => n),
    );
    const schemas = successes
      .map(([, r]) => r.content?.['application/json']?.schema)
      .filter(Boolean)
      .map(inline);
    const lines = [
      `// Generated from docs/openapi.yaml (${operation.operationId}) by web/scripts/generate.mjs.`,
      `pm.test('status ${statuses.join(' or ')}', () => ` +
        `pm.expect(pm.response.code).to.be.oneOf(${JSON.stringify(statuses)}));`,
      ...[...headers].map((h) => `pm.test('header ${h}', () => pm.response.to.have.header(${JSON.stringify(h)}));`),
    ];
    if (schemas.length) {
      const schema = schemas.length === 1 ? schemas[0] : { anyOf: schemas };
      lines.push(
        `pm.test("the answer has the contract's shape", () => pm.response.to.have.jsonSchema(${JSON.stringify(schema)}));`,
      );
    }
    for (const [name, v] of variables) {
      const produces = v.producer === operation.operationId;
      const carries =
        v.header &&
        successes.some(([, r]) => Object.keys(r.headers ?? {}).some((h) => h.toLowerCase() === v.header.toLowerCase()));
      if (!produces && !carries) continue;
      const value = v.header
        ? `pm.response.headers.get(${JSON.stringify(v.header)})`
        : `${JSON.stringify(v.pointer.split('/').slice(1))}.reduce((at, key) => at?.[key], pm.response.json())`;
      lines.push(`if (pm.response.code < 300) pm.collectionVariables.set('${name}', ${value});`);
      stored.add(name);
    }
    item.event = [{ listen: 'test', script: { type: 'text/javascript', exec: lines } }];
    const guard = OUT_OF_RUNS[operation.operationId];
    if (guard) {
      item.event.unshift({
        listen: 'prerequest',
        script: {
          type: 'text/javascript',
          exec: [
            `// Generated by web/scripts/generate.mjs: ${operation.operationId} is skipped unless {{${guard}}} is "yes".`,
            `if (pm.variables.get('${guard}') !== 'yes') pm.execution.skipRequest();`,
          ],
        },
      });
      const note =
        `Not sent, in a run or alone, unless the collection variable \`${guard}\` is \`yes\`: ` +
        'it would delete the account whose token is sent, with all its tasks.\n\n';
      item.request.description.content = note + item.request.description.content;
    }
  }
  for (const [operationId, guard] of Object.entries(OUT_OF_RUNS)) {
    collection.variable.push({
      key: guard,
      value: 'no',
      type: 'string',
      description: `"yes" sends ${operationId}, which a run skips otherwise.`,
    });
  }
  for (const [name, v] of variables) {
    collection.variable.push({
      key: name,
      value: '',
      type: 'string',
      description:
        `Set by ${v.producer}'s answer (${v.header ? `its ${v.header} header` : `body ${v.pointer}`}); ` +
        'the requests after it use it.',
    });
  }
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
