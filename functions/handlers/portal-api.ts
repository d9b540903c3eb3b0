/**
 * Portal API Lambda: API Gateway HTTP API (payload 2.0) behind a Cognito JWT authorizer. API Gateway
 * has already verified the access token (signature, issuer, audience = the app client, expiry); the
 * claims arrive in requestContext.authorizer.jwt.claims and are mapped to an identity here, then the
 * shared handler (functions/portal/handler.ts) decides. PDFs are answered with presigned S3 URLs
 * (PRESIGN_EXPIRES_SECONDS, at most 300), never streamed through Lambda.
 *
 * Before anything else, the request must carry CloudFront's origin secret (functions/portal/edge.ts):
 * the execute-api endpoint is reachable from the internet, CloudFront (WAF, geo restriction, logs) is
 * the only way in that is allowed. Sign-out revocations are kept in the lake (portal/revoked/).
 *
 * Environment: LAKE_BUCKET and ORIGIN_SECRET_ARN (required), PRESIGN_EXPIRES_SECONDS (default 300,
 * 1..300), LAKE_PUBLISHED_KMS_KEY_ARN (the key of published/ and portal/ objects it writes), PORTAL_SITE
 * (JSON of functions/portal/site.ts: the council's name and contact, for HTML error pages).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { s3ForcePathStyle } from '../commons/config.ts';
import { PUBLISHED_KEY_ENV, lakeKmsKeyFor } from '../commons/data-classes.ts';
import { logger } from '../commons/logger.ts';
import { auditDataset, feedbackDataset } from '../portal/datasets.ts';
import { PRESIGN_MAX_SECONDS, handlePortalRequest, type PortalDeps } from '../portal/handler.ts';
import { identityFromClaims, type IdentityResult } from '../portal/identity.ts';
import { ORIGIN_VERIFY_HEADER, originVerifier } from '../portal/edge.ts';
import { presignGetObject } from '../portal/presign.ts';
import { lakeSessions } from '../portal/sessions.ts';
import { siteOf } from '../portal/site.ts';
import { S3ObjectStore } from '../ports/s3-store.ts';
import { PublishedView } from '../lake/publication.ts';

/** Presigned URL lifetime from the environment: a whole number of seconds, 1..300. */
export function presignSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PRESIGN_EXPIRES_SECONDS ?? String(PRESIGN_MAX_SECONDS);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > PRESIGN_MAX_SECONDS) {
    throw new Error(`PRESIGN_EXPIRES_SECONDS must be a whole number from 1 to ${PRESIGN_MAX_SECONDS}`);
  }
  return n;
}

/**
 * The portal's S3 client. Checksums only when an operation requires them: otherwise presigned GET
 * URLs would carry x-amz-checksum-crc32 (of the empty body) and x-amz-checksum-mode (presign.ts).
 */
export function portalS3Client(): S3Client {
  return new S3Client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(s3ForcePathStyle() ? { forcePathStyle: true } : {}),
  });
}

/** A presigned GET of a PDF: saved as `filename` (never shown inline), never cached, valid `seconds`. */
export function signPdf(client: S3Client, bucket: string, key: string, filename: string, seconds: number): Promise<string> {
  return presignGetObject(
    client,
    {
      Bucket: bucket,
      Key: key,
      ResponseContentType: 'application/pdf',
      ResponseContentDisposition: `attachment; filename="${filename}"`,
      ResponseCacheControl: 'no-store',
    },
    seconds,
  );
}

let cached: (PortalDeps & { verifyOrigin: (value: string | undefined) => Promise<boolean> }) | undefined;

/** Dependencies built once per execution environment (clients are reused across invocations). */
export function portalDeps(env: NodeJS.ProcessEnv = process.env): NonNullable<typeof cached> {
  if (cached) return cached;
  const bucket = env.LAKE_BUCKET;
  if (!bucket) throw new Error('environment variable LAKE_BUCKET is not set');
  const originSecretArn = env.ORIGIN_SECRET_ARN;
  if (!originSecretArn) throw new Error('environment variable ORIGIN_SECRET_ARN is not set');
  const secrets = new SecretsManagerClient({});
  const seconds = presignSeconds(env);
  const client = portalS3Client();
  const lake = new S3ObjectStore({ bucket, client, kmsKeyFor: lakeKmsKeyFor(env[PUBLISHED_KEY_ENV]) });
  // Published documents are read, and signed, where the publication pointer says they are.
  const view = new PublishedView(lake);
  cached = {
    lake: view,
    signer: async (key, filename) => signPdf(client, bucket, await view.physicalKey(key), filename, seconds),
    signedUrlSeconds: seconds,
    audit: auditDataset(lake),
    feedback: feedbackDataset(lake),
    now: () => new Date(),
    requireEdge: true,
    sessions: lakeSessions(lake),
    // The deployer's site settings (the Portal construct's `site`), for HTML error pages.
    site: siteOf(env.PORTAL_SITE ? JSON.parse(env.PORTAL_SITE) : { councilName: 'Local authority' }),
    verifyOrigin: originVerifier(async () => {
      const out = await secrets.send(new GetSecretValueCommand({ SecretId: originSecretArn }));
      if (!out.SecretString) throw new Error('the origin secret has no string value');
      return out.SecretString;
    }),
  };
  return cached;
}

/** Forget the cached dependencies (tests that change the environment). */
export function resetPortalDeps(): void {
  cached = undefined;
}

export const handler = async (event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> => {
  const claims = event.requestContext?.authorizer?.jwt?.claims as Record<string, unknown> | undefined;
  // The routes require the openid scope, which only access tokens carry; check token_use as well.
  const who: IdentityResult = claims && claims.token_use !== undefined && claims.token_use !== 'access' ? { failure: 'invalid_claims' } : identityFromClaims(claims);
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
  const body = event.body == null ? null : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const deps = portalDeps();
  let viaEdge: boolean;
  try {
    viaEdge = await deps.verifyOrigin(headers[ORIGIN_VERIFY_HEADER]);
  } catch (err) {
    // Fail closed: without the secret no request can be shown to come through CloudFront.
    logger.error('origin secret unavailable; refusing the request', { error: (err as Error).name });
    return { statusCode: 503, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify({ error: 'unavailable' }) };
  }
  const res = await handlePortalRequest(
    {
      method: event.requestContext?.http?.method ?? 'GET',
      path: event.rawPath ?? '/',
      headers: { accept: headers.accept, 'content-type': headers['content-type'], 'sec-fetch-mode': headers['sec-fetch-mode'] },
      body,
      identity: 'identity' in who ? who.identity : null,
      authFailure: 'failure' in who ? who.failure : undefined,
      authSub: 'failure' in who ? who.sub : undefined,
      requestId: event.requestContext?.requestId,
      viaEdge,
    },
    deps,
  );
  if (res.stream) {
    // Not reached: with a signer the handler never streams. Never buffer PDFs through Lambda.
    res.stream.destroy();
    logger.error('portal handler returned a stream on AWS');
    return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'internal_error' }) };
  }
  return { statusCode: res.status, headers: res.headers, body: res.body ?? '' };
};
