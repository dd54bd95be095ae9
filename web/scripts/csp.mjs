// The Content-Security-Policy that CloudFront sends with the app (template.yaml,
// SiteHeadersPolicy), read from the template so that it has one source. vite preview sends it
// (without the Cognito origin) and the sign-in test sends it with a stand-in's origin, so the
// browser tests run the build under the deployed policy and fail on anything it would block.
import { readFileSync } from 'node:fs';

const COGNITO = ' https://${AuthDomain}.auth.${AWS::Region}.amazoncognito.com';
// The live updates' WebSocket API (LiveUrl): the tests' gateway is on the page's own origin
// (/live, which 'self' allows), so the deployed source is left out.
const LIVE = ' wss://${LiveApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}';

/** @param {string} [authOrigin] the managed-login origin to allow, if any */
export function deployedCsp(authOrigin = '') {
  const template = readFileSync(new URL('../../template.yaml', import.meta.url), 'utf8');
  const line = template.split('\n').find((l) => l.includes("default-src 'self'"));
  const csp = line?.match(/"(default-src [^"]+)"/)?.[1];
  if (!csp || !csp.includes(COGNITO) || !csp.includes(LIVE)) {
    throw new Error("template.yaml: no Content-Security-Policy line with default-src 'self', the Cognito origin and LiveUrl's");
  }
  return csp.replace(COGNITO, authOrigin ? ` ${authOrigin}` : '').replace(LIVE, '');
}
