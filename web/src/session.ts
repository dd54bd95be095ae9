// Who the app calls the API as. Locally: the user id chosen under "Acting as", sent as the
// X-Local-Caller header, which only local builds of the API honour (make dev has no
// sign-in). Deployed: the Cognito user signed in through managed login (cognito.ts), whose
// ID token goes in the Authorization header.
export interface Session {
  mode: 'local' | 'cognito';
  /** The signed-in user, `id` being the token's `sub`; always null locally. */
  user: { email: string; id: string } | null;
  /** Locally: the user id the app acts as (X-Local-Caller); null when deployed. */
  localCaller: string | null;
  /** Locally: act as another user id ('' for the default); remembered in localStorage. */
  actAs(id: string): void;
  /** Why the user must sign in again, if they must. */
  signInReason: string | null;
  /** The raw Authorization header value, or null (local, or signed out). */
  token(): Promise<string | null>;
  /** After a 401: try to refresh the tokens; false means the user must sign in. */
  renew(): Promise<boolean>;
  signIn(): Promise<void>;
  /** `reason`: what the sign-in screen says after it (the account is being deleted, say). */
  signOut(reason?: string): Promise<void>;
  subscribe(listener: () => void): () => void;
}

/** The caller's own user id, as the API knows it (ownerId, assignee). */
export const userIdOf = (session: Session) => session.localCaller ?? session.user?.id ?? null;

const LOCAL_CALLER_KEY = 'tasks.localCaller';

function stored(): string | null {
  try {
    return localStorage.getItem(LOCAL_CALLER_KEY) || null;
  } catch {
    return null;
  }
}

/** `defaultCaller`: make dev's TASKS_LOCAL_CALLER_ID, from /config.json. */
export function localSession(defaultCaller: string): Session {
  const listeners = new Set<() => void>();
  const session: Session = {
    mode: 'local',
    user: null,
    localCaller: stored() ?? defaultCaller,
    actAs(id) {
      session.localCaller = id || defaultCaller;
      try {
        if (id) localStorage.setItem(LOCAL_CALLER_KEY, id);
        else localStorage.removeItem(LOCAL_CALLER_KEY);
      } catch {
        // Private browsing without storage: the choice lasts as long as the page.
      }
      listeners.forEach((listener) => listener());
    },
    signInReason: null,
    token: async () => null,
    renew: async () => false,
    signIn: async () => {},
    signOut: async () => {},
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return session;
}
