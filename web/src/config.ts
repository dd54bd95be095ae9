// The runtime configuration, /config.json. Locally (vite dev and preview) it is
// {"auth": null, "localCaller": "<make dev's TASKS_LOCAL_CALLER_ID>"}: no sign-in, and the
// app acts as that caller until the user picks another ("Acting as"). When deployed,
// tools/web-deploy.sh writes the stack's user pool, app client and managed-login domain, and
// liveUrl, the live updates' WebSocket endpoint (the stack's LiveUrl).
export interface AuthConfig {
  region: string;
  userPoolId: string;
  clientId: string;
  /** The managed-login domain, e.g. https://tasks-123.auth.eu-west-1.amazoncognito.com */
  domain: string;
}

export interface RuntimeConfig {
  auth: AuthConfig | null;
  /** Locally: the caller the API acts as without an X-Local-Caller header. */
  localCaller: string;
  /** Deployed: the stack's LiveUrl (wss://…/<stage>); locally null: this origin's /live. */
  liveUrl: string | null;
}

export async function loadConfig(): Promise<RuntimeConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json could not be read (HTTP ${response.status})`);
  const body = (await response.json()) as Partial<RuntimeConfig>;
  const auth = body.auth ?? null;
  if (auth !== null) {
    for (const key of ['region', 'userPoolId', 'clientId', 'domain'] as const) {
      if (typeof auth[key] !== 'string' || !auth[key]) throw new Error(`/config.json: auth.${key} is missing`);
    }
  }
  const localCaller = typeof body.localCaller === 'string' && body.localCaller ? body.localCaller : 'local-developer';
  const liveUrl = typeof body.liveUrl === 'string' && body.liveUrl ? body.liveUrl : null;
  return { auth, localCaller, liveUrl };
}
