// Vite: `npm run dev` (make dev) and `npm run preview` (the tests) serve the app on one
// origin with the API: /tasks and /account are proxied to `cargo lambda watch`, as CloudFront
// routes /tasks* and /account to API Gateway when deployed; /live is the local WebSocket gateway
// (deployed, config.json's liveUrl names the stack's LiveUrl). /config.json says "no sign-in" locally, and names
// make dev's local caller (TASKS_LOCAL_CALLER_ID, tools/dev.sh), whom the app acts as until
// the user picks another; when deployed it is written by tools/web-deploy.sh.
import type { ServerResponse } from 'node:http';
import { defineConfig, type Plugin } from 'vite';
// @ts-ignore: plain JavaScript, shared with the browser tests
import { deployedCsp } from './scripts/csp.mjs';

const api = process.env.API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 9000}`;
const port = Number(process.env.WEB_PORT ?? 5173);
// /live: the local WebSocket gateway (tools/local_websocket.py), as LiveUrl is deployed.
const live = process.env.LIVE_URL ?? `ws://127.0.0.1:${process.env.LIVE_PORT ?? 9001}`;
const proxy = {
  '/tasks': { target: api },
  '/account': { target: api },
  '/live': { target: live, ws: true },
};
const served = { host: '127.0.0.1', port, strictPort: true, proxy };
const localConfig = JSON.stringify({
  auth: null,
  localCaller: process.env.TASKS_LOCAL_CALLER_ID || 'local-developer',
  liveUrl: null,
});

type Middlewares = { use(fn: (req: { url?: string }, res: ServerResponse, next: () => void) => void): void };

function local(): Plugin {
  const config = (middlewares: Middlewares) =>
    middlewares.use((req, res, next) => {
      if (req.url?.split('?')[0] !== '/config.json') return next();
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-store');
      res.end(`${localConfig}\n`);
    });
  return {
    name: 'task-api-local',
    configureServer(server) {
      config(server.middlewares);
    },
    // The preview server (the browser tests) sends the deployed Content-Security-Policy.
    configurePreviewServer(server) {
      const csp = deployedCsp();
      server.middlewares.use((_req, res, next) => {
        res.setHeader('Content-Security-Policy', csp);
        res.setHeader('X-Content-Type-Options', 'nosniff');
        next();
      });
      config(server.middlewares);
    },
  };
}

export default defineConfig({
  // No single-page fallback: a missing file is a 404, not index.html (as on S3 behind CloudFront).
  appType: 'mpa',
  clearScreen: false,
  plugins: [local()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // `make dev` serves the sources, the browser tests the build: both the same way.
  server: served,
  preview: served,
  build: { target: 'es2022', reportCompressedSize: false, modulePreload: { polyfill: false } },
});
