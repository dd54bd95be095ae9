// Who the app calls the API as. Locally: nobody in particular (the API acts as make dev's
// local caller and needs no token). Deployed: the Cognito user signed in through managed
// login (cognito.ts), whose ID token goes in the Authorization header.
export interface Session {
  mode: 'local' | 'cognito';
  /** The signed-in user; always null locally. */
  user: { email: string } | null;
  /** Why the user must sign in again, if they must. */
  signInReason: string | null;
  /** The raw Authorization header value, or null (local, or signed out). */
  token(): Promise<string | null>;
  /** After a 401: try to refresh the tokens; false means the user must sign in. */
  renew(): Promise<boolean>;
  signIn(): Promise<void>;
  signOut(): Promise<void>;
  subscribe(listener: () => void): () => void;
}

export function localSession(): Session {
  return {
    mode: 'local',
    user: null,
    signInReason: null,
    token: async () => null,
    renew: async () => false,
    signIn: async () => {},
    signOut: async () => {},
    subscribe: () => () => {},
  };
}
