/**
 * The portal Lambda shell against moto_server S3: API Gateway v2 events with JWT authorizer claims
 * (groups in API Gateway's "[a b]" string form) reach the shared handler; a PDF comes back as a
 * presigned URL that expires in 300 s and fetches the exact bytes; audit and feedback land as
 * Parquet in the lake bucket.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler, presignSeconds, resetPortalDeps } from '../../functions/handlers/portal-api.ts';
import { ORIGIN_VERIFY_HEADER } from '../../functions/portal/edge.ts';
import { S3ObjectStore } from '../../functions/ports/s3-store.ts';
import { TEST_REGION, awsTestConfig, startMoto, type MotoServer } from '../helpers/moto.ts';
import { LATEST, SCHOOLS, readDataset, tinyPdf } from './fixture.ts';

const BUCKET = 'catchment-portal-lake';
const A = SCHOOLS.A.urn;
const B = SCHOOLS.B.urn;
let moto: MotoServer;
let client: S3Client;
let pdf: Buffer;
const saved = { ...process.env };
const ORIGIN_SECRET = 'b1946ac92492d2347c6235b4d2611184-origin-secret';

function event(method: string, rawPath: string, claims: Record<string, string> | undefined, extra: Partial<APIGatewayProxyEventV2WithJWTAuthorizer> = {}) {
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: '',
    headers: { accept: 'application/json', 'content-type': 'application/json', [ORIGIN_VERIFY_HEADER]: ORIGIN_SECRET },
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: `${method} ${rawPath}`,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      authorizer: claims ? { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } } : undefined,
    },
    ...extra,
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

const head = {
  sub: '7f0c1e2a-0000-4000-8000-000000000001',
  'cognito:groups': `[urn-${A}]`,
  token_use: 'access',
  client_id: 'abc',
  jti: '0d9a8f1e-1111-4000-8000-00000000000a',
  origin_jti: '5b7c2d3e-2222-4000-8000-00000000000b',
};

beforeAll(async () => {
  moto = await startMoto();
  client = new S3Client(awsTestConfig(moto.endpoint));
  await client.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: TEST_REGION } }));
  pdf = await tinyPdf('School A');
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `published/profiles/${LATEST}/${A}.pdf`, Body: pdf }));
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `published/profiles/${LATEST}/${B}.pdf`, Body: await tinyPdf('School B') }));
  const sm = new SecretsManagerClient(awsTestConfig(moto.endpoint));
  const { ARN } = await sm.send(new CreateSecretCommand({ Name: 'portal-origin', SecretString: ORIGIN_SECRET }));
  sm.destroy();
  Object.assign(process.env, {
    ORIGIN_SECRET_ARN: ARN,
    LAKE_BUCKET: BUCKET,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    CATCHMENT_S3_FORCE_PATH_STYLE: 'true',
    PRESIGN_EXPIRES_SECONDS: '300',
  });
  resetPortalDeps();
});

afterAll(async () => {
  process.env = saved;
  resetPortalDeps();
  client?.destroy();
  await moto?.stop();
});

const res = (r: { statusCode?: number; body?: string }) => ({ status: r.statusCode, body: JSON.parse(r.body ?? 'null') });

describe('portal Lambda (API Gateway HTTP API v2, moto S3)', () => {
  it('answers a head’s own profile with a presigned URL valid for 300 s that fetches the PDF', async () => {
    const res = await handler(event('GET', `/api/profiles/${LATEST}/${A}.pdf`, head));
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body!);
    expect(body.expiresInSeconds).toBe(300);
    const url = new URL(body.url);
    // The portal's own client settings (no AWS_REQUEST_CHECKSUM_CALCULATION here): no checksum parameters.
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    expect(url.searchParams.get('response-cache-control')).toBe('no-store');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('response-content-disposition')).toBe(`attachment; filename="catchment-profile-${A}-${LATEST}.pdf"`);
    expect(url.pathname).toBe(`/${BUCKET}/published/profiles/${LATEST}/${A}.pdf`);
    const fetched = await fetch(url);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(pdf)).toBe(true);
  });

  it('redirects (302) when the client does not ask for JSON', async () => {
    const res = await handler(event('GET', `/api/profiles/${LATEST}/${A}.pdf`, head, { headers: { accept: 'application/pdf', [ORIGIN_VERIFY_HEADER]: ORIGIN_SECRET } }));
    expect(res.statusCode).toBe(302);
    expect(res.headers!.location).toContain('X-Amz-Signature=');
  });

  it('refuses another school (403), a traversal (400), no claims or an ID token (401), no portal group (403)', async () => {
    const other = await handler(event('GET', `/api/profiles/${LATEST}/${B}.pdf`, head));
    expect(other.statusCode).toBe(403);
    expect(other.body).not.toContain('amazonaws');
    expect((await handler(event('GET', `/api/profiles/${LATEST}/%2e%2e%2f${B}.pdf`, head))).statusCode).toBe(400);
    expect((await handler(event('GET', '/api/me', undefined))).statusCode).toBe(401);
    const noGroups = await handler(event('GET', '/api/me', { sub: 'abc', token_use: 'access', jti: 'j-1' }));
    expect(noGroups.statusCode).toBe(403);
    const idToken = await handler(event('GET', '/api/me', { ...head, token_use: 'id' }));
    expect(idToken.statusCode).toBe(401);
  });

  it('refuses, before anything else, a request that did not come through CloudFront (no or wrong origin secret)', async () => {
    for (const headers of [{ accept: 'application/json' }, { accept: 'application/json', [ORIGIN_VERIFY_HEADER]: `${ORIGIN_SECRET}x` }, { [ORIGIN_VERIFY_HEADER]: '' }]) {
      const res = await handler(event('GET', `/api/profiles/${LATEST}/${A}.pdf`, head, { headers }));
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain('amazonaws');
    }
  });

  it('revokes the session at sign-out: the same token is refused afterwards', async () => {
    const out = await handler(event('POST', '/api/sign-out', head));
    expect(res(out)).toEqual({ status: 200, body: { signedOut: true, revoked: true } });
    const after = await handler(event('GET', '/api/me', head));
    expect(after.statusCode).toBe(401);
    // another sign-in of the same person is unaffected
    expect((await handler(event('GET', '/api/me', { ...head, jti: 'j-2', origin_jti: 'o-2' }))).statusCode).toBe(200);
  });

  it('stores feedback (base64 body) and audits every request as Parquet in the bucket', async () => {
    const body = Buffer.from(JSON.stringify({ urn: A, period: LATEST, rating: 5, comment: 'Spot on.' })).toString('base64');
    const res = await handler(event('POST', '/api/feedback', { ...head, origin_jti: 'o-3' }, { body, isBase64Encoded: true }));
    expect(res.statusCode).toBe(201);
    const lake = new S3ObjectStore({ bucket: BUCKET, client });
    const feedback = await readDataset(lake, 'portal_feedback');
    expect(feedback).toMatchObject([{ urn: A, period: LATEST, rating: 5, comment: 'Spot on.', user: head.sub }]);
    const audit = await readDataset(lake, 'portal_audit');
    // every request of this file so far: 2 + 5 + 3 + 3 + 1
    expect(audit).toHaveLength(14);
    expect(audit.filter((a) => a.outcome === 'allowed')).toHaveLength(5);
    expect(audit.filter((a) => a.reason === 'not_via_edge')).toHaveLength(3);
    expect(audit.find((a) => a.reason === 'not_via_edge')).toMatchObject({ user: head.sub, outcome: 'denied', urn: A, period: LATEST, status: 403 });
    expect(audit.find((a) => a.reason === 'revoked')).toMatchObject({ user: head.sub, outcome: 'unauthenticated', action: 'list', status: 401 });
    expect(audit.find((a) => a.status === 401 && a.user === null)).toMatchObject({ outcome: 'unauthenticated', reason: 'missing_token' });
    // the revocation itself is an object under portal/revoked/, named by the session id only
    expect((await lake.list('portal/revoked/')).map((o) => o.key)).toEqual([`portal/revoked/${head.origin_jti}`]);
  });

  it('never signs URLs for longer than 300 seconds', () => {
    expect(presignSeconds({})).toBe(300);
    expect(presignSeconds({ PRESIGN_EXPIRES_SECONDS: '60' })).toBe(60);
    expect(() => presignSeconds({ PRESIGN_EXPIRES_SECONDS: '301' })).toThrow(/1 to 300/);
    expect(() => presignSeconds({ PRESIGN_EXPIRES_SECONDS: '3600' })).toThrow();
    expect(() => presignSeconds({ PRESIGN_EXPIRES_SECONDS: '0' })).toThrow();
  });
});
