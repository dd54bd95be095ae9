// Sign-in as deployed, with a stand-in for Cognito's managed login on loopback: the app is
// given a /config.json naming a user pool whose domain is the stand-in, and the page gets
// the deployed Content-Security-Policy with the stand-in's origin in place of Cognito's.
// What is checked is the app's side of the protocol (oidc-client-ts): the authorization
// code flow with PKCE, the ID token as the raw Authorization header, a refresh after a 401,
// sign-in again when the refresh is refused, sign-out (revocation, then /logout), and
// sign-out after "Delete my account".
// The local API ignores the header (it acts as the local caller); Cognito itself is not
// exercised here.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
// @ts-ignore
import { deployedCsp } from '../scripts/csp.mjs';
import { browser, browserTests, eventually, finish, item, openApp, seed, WEB_URL } from './helpers.mjs';

const CLIENT_ID = 'webtestclient';
const base64url = (value) => Buffer.from(value).toString('base64url');
const jwt = (claims) => `${base64url(JSON.stringify({ alg: 'RS256', kid: 'test' }))}.${base64url(JSON.stringify(claims))}.c2ln`;

/** The stand-in: /oauth2/authorize, /oauth2/token, /oauth2/revoke and /logout, as Cognito's. */
function standIn() {
  const log = [];
  const state = { refreshAllowed: true, revokeRefused: false, issued: 0, challenge: null };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://stand-in');
    let body = '';
    for await (const chunk of req) body += chunk;
    const form = new URLSearchParams(body);
    log.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), form: Object.fromEntries(form) });
    res.setHeader('Access-Control-Allow-Origin', WEB_URL);
    if (url.pathname === '/oauth2/authorize') {
      // Managed login's page; "signing in" follows the link back to the app with a code.
      // (A link, not a 302: Playwright does not route redirected requests, and the page
      // that comes back must get the CSP set below.)
      state.challenge = url.searchParams.get('code_challenge');
      const back = new URL(url.searchParams.get('redirect_uri'));
      back.searchParams.set('code', 'the-code');
      back.searchParams.set('state', url.searchParams.get('state'));
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<title>Stand-in sign-in</title><a href="${back.href}">Continue as ada@example.com</a>`);
    } else if (url.pathname === '/oauth2/token') {
      const grant = form.get('grant_type');
      const verifierMatches =
        grant === 'authorization_code' &&
        createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') === state.challenge;
      if ((grant === 'authorization_code' && (!verifierMatches || form.get('code') !== 'the-code')) ||
          (grant === 'refresh_token' && !state.refreshAllowed)) {
        res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"invalid_grant"}');
        return;
      }
      state.issued++;
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: 'user-1', email: 'ada@example.com', aud: CLIENT_ID, token_use: 'id', iat: now, exp: now + 3600, auth_time: 1, n: state.issued };
      const tokens = { id_token: jwt(claims), access_token: jwt({ ...claims, token_use: 'access' }), expires_in: 3600, token_type: 'Bearer' };
      if (grant === 'authorization_code') tokens.refresh_token = 'the-refresh-token';
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(tokens));
    } else if (url.pathname === '/oauth2/revoke') {
      if (state.revokeRefused) res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"invalid_grant"}');
      else res.writeHead(200).end();
    } else if (url.pathname === '/logout') {
      res.writeHead(302, { Location: url.searchParams.get('logout_uri') }).end();
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((ready) =>
    server.listen(0, '127.0.0.1', () => ready({ server, log, state, origin: `http://127.0.0.1:${server.address().port}` })),
  );
}

browserTests();
let idp;
before(async () => {
  idp = await standIn();
});
after(() => idp?.server.close());

/**
 * The app as deployed, its /config.json naming the stand-in as the user pool's domain, under
 * the deployed CSP with the stand-in's origin; `setup` adds routes of the test's own.
 * Error answers the tests ask for: the API's, and the stand-in's refused refresh and revocation.
 */
function openDeployed(setup = async () => {}) {
  return openApp(browser, {
    expectedFailedLoads: (url) =>
      url.pathname.startsWith('/tasks') || url.pathname === '/account' || [`${idp.origin}/oauth2/token`, `${idp.origin}/oauth2/revoke`].includes(url.href),
    setup: async (context) => {
      // The page below comes from a route (so Chromium gives it no address space), and it
      // fetches the stand-in's token endpoint on loopback: allow that as a user would.
      await context.grantPermissions(['local-network-access']);
      await context.route(`${WEB_URL}/config.json`, (route) =>
        route.fulfill({
          contentType: 'application/json',
          body: JSON.stringify({ auth: { region: 'eu-west-1', userPoolId: 'eu-west-1_Test', clientId: CLIENT_ID, domain: idp.origin } }),
        }),
      );
      // The page with the deployed CSP, allowing the stand-in where Cognito's domain would be.
      await context.route(
        (url) => url.origin === WEB_URL && url.pathname === '/',
        async (route) => {
          const response = await route.fetch();
          route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': deployedCsp(idp.origin) } });
        },
      );
      await setup(context);
    },
  });
}

/** From the sign-in screen through the stand-in's managed login and back, signed in. */
async function signIn(page) {
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Continue as ada@example.com' }).click();
}

test('sign-in with managed login: code flow with PKCE, the ID token on every call, refresh after a 401, sign-in again, sign-out', async () => {
  await seed([{ title: 'Behind sign-in' }]);
  let unauthorized = 0;
  const app = await openDeployed(async (context) => {
    // The API refuses the next `unauthorized` calls with API Gateway's 401.
    await context.route(
      (url) => url.pathname.startsWith('/tasks'),
      (route) => {
        if (unauthorized === 0) return route.fallback();
        unauthorized--;
        return route.fulfill({
          status: 401,
          contentType: 'application/problem+json',
          body: JSON.stringify({ type: 'https://task-api.example/problems/unauthenticated', title: 'Authentication required', status: 401, detail: 'Unauthorized', instance: 'z' }),
        });
      },
    );
  });
  const { page } = app;
  const authorizations = [];
  const localCallers = [];
  page.on('request', (r) => {
    if (!new URL(r.url()).pathname.startsWith('/tasks')) return;
    authorizations.push(r.headers().authorization);
    if (r.headers()['x-local-caller'] !== undefined) localCallers.push(r.headers()['x-local-caller']);
  });

  // Not signed in: the sign-in screen, then managed login and back.
  await page.getByText('Sign in to see and manage your tasks.').waitFor();
  await signIn(page);
  await item(page, 'Behind sign-in').waitFor();
  assert.equal(page.url(), `${WEB_URL}/`, 'the code and state are gone from the address bar');
  await page.getByText('ada@example.com').waitFor();
  assert.equal(await page.locator('#my-id').textContent(), 'user-1', 'the user id shown is the ID token’s sub');
  assert.equal(await page.getByLabel('Acting as').count(), 0, 'no local caller when signed in');
  const authorize = idp.log.find((e) => e.path === '/oauth2/authorize').query;
  assert.equal(authorize.response_type, 'code');
  assert.equal(authorize.client_id, CLIENT_ID);
  assert.equal(authorize.redirect_uri, `${WEB_URL}/`);
  assert.equal(authorize.code_challenge_method, 'S256');
  assert.equal(authorize.scope, 'openid email profile');
  const exchange = idp.log.find((e) => e.path === '/oauth2/token').form;
  assert.equal(exchange.grant_type, 'authorization_code');
  assert.ok(exchange.code_verifier, 'PKCE: the verifier is sent with the code (and matched the challenge)');
  const firstToken = authorizations.at(-1);
  assert.match(firstToken, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/, 'the raw ID token, no "Bearer "');
  assert.equal(JSON.parse(Buffer.from(firstToken.split('.')[1], 'base64url')).token_use, 'id');

  // A 401: the tokens are refreshed once and the call is retried with the new ID token.
  unauthorized = 1;
  await page.getByRole('radio', { name: 'Pending' }).check();
  const lastTokenRequest = () => idp.log.filter((e) => e.path === '/oauth2/token').at(-1).form;
  await eventually(async () => assert.equal(lastTokenRequest().grant_type, 'refresh_token'));
  assert.equal(lastTokenRequest().refresh_token, 'the-refresh-token');
  await eventually(async () => assert.equal(authorizations.length >= 3 && unauthorized, 0));
  await item(page, 'Behind sign-in').waitFor();
  assert.notEqual(authorizations.at(-1), firstToken, 'the retry carries the refreshed ID token');
  assert.equal(authorizations.at(-2), firstToken, 'the refused call carried the first one');

  // A 401 whose refresh is refused: back to sign-in, saying why.
  idp.state.refreshAllowed = false;
  unauthorized = 1;
  await page.getByRole('radio', { name: 'Completed' }).check();
  await page.getByRole('alert').filter({ hasText: 'Your session has ended. Please sign in again.' }).waitFor();
  idp.state.refreshAllowed = true;
  await signIn(page);
  await item(page, 'Behind sign-in').waitFor();

  // Sign out: the refresh token is revoked, then managed login's /logout, then back here.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('Sign in to see and manage your tasks.').waitFor();
  const revoke = idp.log.find((e) => e.path === '/oauth2/revoke');
  assert.equal(revoke?.form.token, 'the-refresh-token');
  const logout = idp.log.find((e) => e.path === '/logout').query;
  assert.deepEqual(logout, { client_id: CLIENT_ID, logout_uri: `${WEB_URL}/` });
  assert.equal(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('oidc.user')).length), 0, 'no tokens kept');
  assert.deepEqual(localCallers, [], 'no X-Local-Caller header when deployed');
  await eventually(async () => assert.equal(page.url(), `${WEB_URL}/`));
  await finish(app);
});

test('“Delete my account” when signed in: DELETE /account with the ID token, then signed out (tokens forgotten, /logout) even though the revocation is refused, and the sign-in screen says why', async () => {
  await seed([{ title: 'Behind sign-in' }]);
  const app = await openDeployed();
  const { page } = app;
  await signIn(page);
  await item(page, 'Behind sign-in').waitFor();
  const logouts = idp.log.filter((e) => e.path === '/logout').length;

  await page.getByRole('button', { name: 'Delete my account', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Delete your account?' });
  await dialog.getByText('The 1 task you own will be deleted').waitFor();
  assert.match(await dialog.innerText(), /You are signed out everywhere, and you cannot sign in to this account again\./);
  await dialog.getByLabel('I understand: delete my account and the 1 task I own, for good').check();
  // Deleting the account revoked its sign-in already: the app's own revocation may be refused.
  idp.state.revokeRefused = true;
  const sent = page.waitForRequest((r) => new URL(r.url()).pathname === '/account');
  await dialog.getByRole('button', { name: 'Delete my account for good' }).click();
  const request = await sent;
  assert.equal(request.method(), 'DELETE');
  assert.match(request.headers().authorization, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/, 'the raw ID token');
  assert.equal(request.headers()['x-local-caller'], undefined);
  assert.equal((await request.response()).status(), 202);

  await page.getByRole('alert').filter({ hasText: 'Your account and all its data are being deleted, and you are signed out.' }).waitFor();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(idp.log.filter((e) => e.path === '/logout').length, logouts + 1, 'managed login’s session ended');
  assert.equal(idp.log.at(-2)?.path, '/oauth2/revoke', 'revocation was tried first');
  assert.equal(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('oidc.user')).length), 0, 'no tokens kept');
  await page.reload();
  await page.getByText('Sign in to see and manage your tasks.').waitFor();
  idp.state.revokeRefused = false;
  await finish(app);
});
