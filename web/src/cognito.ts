// Sign-in with Cognito managed login: the authorization code flow with PKCE, token refresh,
// revocation and sign-out, all done by oidc-client-ts. Loaded only when /config.json names a
// user pool, so the local build never runs it.
import { UserManager, type User } from 'oidc-client-ts';
import type { AuthConfig } from './config';
import type { Session } from './session';

/** Why the user was signed out, kept across the trip through managed login's /logout. */
const SIGNED_OUT_KEY = 'tasks.signedOutReason';

export async function cognitoSession(config: AuthConfig): Promise<Session> {
  const origin = window.location.origin;
  const authority = `https://cognito-idp.${config.region}.amazonaws.com/${config.userPoolId}`;
  const manager = new UserManager({
    authority,
    // Given in full, so the page never fetches the discovery document (and the CSP allows
    // only the managed-login domain besides the page's own origin).
    metadata: {
      issuer: authority,
      authorization_endpoint: `${config.domain}/oauth2/authorize`,
      token_endpoint: `${config.domain}/oauth2/token`,
      revocation_endpoint: `${config.domain}/oauth2/revoke`,
      userinfo_endpoint: `${config.domain}/oauth2/userInfo`,
      end_session_endpoint: `${config.domain}/logout`,
    },
    client_id: config.clientId,
    redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: 'openid email profile',
    // Refreshes the tokens with the refresh token a minute before they expire.
    automaticSilentRenew: true,
    loadUserInfo: false,
    monitorSession: false,
  });

  const listeners = new Set<() => void>();
  const session: Session = {
    mode: 'cognito',
    user: null,
    localCaller: null,
    actAs: () => {},
    signInReason: null,
    token,
    renew,
    signIn: () => manager.signinRedirect(),
    signOut,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const update = (user: User | null, reason: string | null = null) => {
    const email = user?.profile.email;
    const id = user?.profile.sub ?? '';
    session.user = user && !user.expired ? { email: typeof email === 'string' ? email : id, id } : null;
    session.signInReason = session.user ? null : reason;
    listeners.forEach((listener) => listener());
  };
  manager.events.addUserLoaded((user) => update(user));
  manager.events.addUserUnloaded(() => update(null, session.signInReason));
  manager.events.addSilentRenewError(() => update(null, 'Your session has ended. Please sign in again.'));

  // Back from managed login with ?code=…&state=… (or ?error=…): finish the sign-in.
  const query = new URLSearchParams(window.location.search);
  let reason: string | null = null;
  if (query.has('state') && (query.has('code') || query.has('error'))) {
    try {
      await manager.signinRedirectCallback();
    } catch (error) {
      reason = `Sign-in did not complete (${error instanceof Error ? error.message : String(error)}). Please try again.`;
    }
    window.history.replaceState(null, '', '/');
  }
  try {
    reason ??= sessionStorage.getItem(SIGNED_OUT_KEY);
    sessionStorage.removeItem(SIGNED_OUT_KEY);
  } catch {
    // Without storage the sign-in screen says what it always says.
  }
  let user = await manager.getUser();
  if (user?.expired) user = (await refresh()) ? await manager.getUser() : null;
  update(user, reason);

  let renewing: Promise<boolean> | null = null;
  async function refresh(): Promise<boolean> {
    try {
      return (await manager.signinSilent()) !== null;
    } catch {
      await manager.removeUser();
      return false;
    }
  }
  async function renew(): Promise<boolean> {
    renewing ??= refresh().finally(() => (renewing = null));
    const renewed = await renewing;
    if (!renewed) update(null, 'Your session has ended. Please sign in again.');
    return renewed;
  }
  async function token(): Promise<string | null> {
    let current = await manager.getUser();
    if (current?.expired && (await renew())) current = await manager.getUser();
    return current && !current.expired ? (current.id_token ?? null) : null;
  }
  async function signOut(reason?: string): Promise<void> {
    // Revoke the refresh token (the pool's client has token revocation on), forget the
    // tokens, then end the managed-login session: Cognito's /logout takes client_id and
    // logout_uri, which must be one of the client's sign-out URLs.
    try {
      if (reason) sessionStorage.setItem(SIGNED_OUT_KEY, reason);
    } catch {
      // Signed out all the same, without the reason.
    }
    try {
      await manager.revokeTokens(['refresh_token']);
    } catch {
      // Signing out goes on: the tokens are forgotten below either way.
    }
    await manager.removeUser();
    await manager.signoutRedirect({ extraQueryParams: { client_id: config.clientId, logout_uri: `${origin}/` } });
  }
  return session;
}
