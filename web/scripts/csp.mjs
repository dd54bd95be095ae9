// The Content-Security-Policy that CloudFront sends with the app (template.yaml,
// SiteHeadersPolicy), read from the template so that it has one source. vite preview sends it
// (without the Cognito origin) and the sign-in test sends it with a stand-in's origin, so the
// browser tests run the build under the deployed policy and fail on anything it would block.
import { readFileSync } from 'node:fs';

const COGNITO = ' https://${AuthDomain}.auth.${AWS::Region}.amazoncognito.com';

/** @param {string} [authOrigin] the managed-login origin to allow, if any */
export function deployedCsp(authOrigin = '') {
  const template = readFileSync(new URL('../../template.yaml', import.meta.url), 'utf8');
  const line = template.split('\n').find((l) => l.includes("default-src 'self'"));
  const csp = line?.match(/"(default-src [^"]+)"/)?.[1];
  if (!csp || !csp.includes(COGNITO)) {
    throw new Error("template.yaml: no Content-Security-Policy line with default-src 'self' and the Cognito origin");
  }
  return csp.replace(COGNITO, authOrigin ? ` ${authOrigin}` : '');
}
