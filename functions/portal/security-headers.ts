/**
 * The portal's security headers, one definition for the three places that send them: CloudFront's
 * response headers policy (infra/constructs/portal.ts), the local server (server.ts, every
 * response), and the API handler's own responses (handler.ts), so a response carries them whichever
 * runtime produced it. HSTS is added by CloudFront only (it means nothing over the local server's
 * plain HTTP).
 */

/** Content-Security-Policy of the page; `connectSrc` adds origins the page may call (Cognito). */
export function pageCsp(connectSrc: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${["'self'", ...connectSrc].join(' ')}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Powerful browser features the portal never uses, switched off for it and anything it embeds. */
export const PERMISSIONS_POLICY =
  'accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()';

/** Headers on every response (CloudFront sets the same values through its policy). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': pageCsp(),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'permissions-policy': PERMISSIONS_POLICY,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Strict-Transport-Security CloudFront sends (two years, subdomains; HTTPS only). */
export const HSTS_SECONDS = 2 * 365 * 24 * 3600;
