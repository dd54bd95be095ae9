// The runtime configuration, /config.json. Locally (vite dev and preview) it is
// {"auth": null}: no sign-in, every request acts as make dev's local caller. When deployed,
// tools/web-deploy.sh writes the stack's user pool, app client and managed-login domain.
export interface AuthConfig {
  region: string;
  userPoolId: string;
  clientId: string;
  /** The managed-login domain, e.g. https://tasks-123.auth.eu-west-1.amazoncognito.com */
  domain: string;
}

export interface RuntimeConfig {
  auth: AuthConfig | null;
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
  return { auth };
}
