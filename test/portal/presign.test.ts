/**
 * The presigner (functions/portal/presign.ts, standing in for @aws-sdk/s3-request-presigner) checked
 * against an independent SigV4 query-string verifier written from the AWS documentation, which is
 * itself checked against the documented example. moto does not verify signatures, so this is what
 * shows the URLs would be accepted by S3.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { portalS3Client, signPdf } from '../../functions/handlers/portal-api.ts';
import { presignGetObject } from '../../functions/portal/presign.ts';

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** Recompute the signature of a presigned S3 GET URL (signed headers: host only, UNSIGNED-PAYLOAD). */
function expectedSignature(url: URL, secret: string): string {
  const q = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature');
  const canonicalQuery = q
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signedHeaders = url.searchParams.get('X-Amz-SignedHeaders');
  if (signedHeaders !== 'host') throw new Error(`unexpected signed headers ${signedHeaders}`);
  const canonicalRequest = ['GET', url.pathname, canonicalQuery, `host:${url.host}`, '', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const [accessKey, date, region, service, terminator] = url.searchParams.get('X-Amz-Credential')!.split('/');
  expect(accessKey).toBeTruthy();
  const scope = [date, region, service, terminator].join('/');
  const stringToSign = ['AWS4-HMAC-SHA256', url.searchParams.get('X-Amz-Date'), scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), terminator!);
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('presigned S3 URLs', () => {
  it('the verifier reproduces the example in the AWS documentation', () => {
    const url = new URL(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
    // The documented example signs an empty query-less request with UNSIGNED-PAYLOAD.
    expect(expectedSignature(url, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe(url.searchParams.get('X-Amz-Signature'));
  });

  it('signs a GET with session credentials, response overrides and a 300 s lifetime that S3 would accept', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const client = new S3Client({
      region: 'eu-west-2',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: { accessKeyId: 'ASIAEXAMPLEEXAMPLE', secretAccessKey: secret, sessionToken: 'session/token+with=odd chars' },
    });
    const url = new URL(
      await presignGetObject(
        client,
        {
          Bucket: 'catchment-lake-123',
          Key: 'published/profiles/2025-26/100001.pdf',
          ResponseContentType: 'application/pdf',
          ResponseContentDisposition: 'attachment; filename="catchment-profile-100001-2025-26.pdf"',
        },
        300,
      ),
    );
    expect(url.origin).toBe('https://catchment-lake-123.s3.eu-west-2.amazonaws.com');
    expect(url.pathname).toBe('/published/profiles/2025-26/100001.pdf');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session/token+with=odd chars');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^ASIAEXAMPLEEXAMPLE\/\d{8}\/eu-west-2\/s3\/aws4_request$/);
    expect(url.searchParams.get('response-content-disposition')).toBe('attachment; filename="catchment-profile-100001-2025-26.pdf"');
    expect(url.searchParams.has('x-amz-checksum-mode')).toBe(false);
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, secret));
    expect(expectedSignature(url, 'another secret')).not.toBe(url.searchParams.get('X-Amz-Signature'));
    client.destroy();
  });

  it('never puts checksum parameters in a GET URL, whatever the client’s checksum settings', async () => {
    // The SDK's defaults (requestChecksumCalculation WHEN_SUPPORTED) would add x-amz-checksum-crc32.
    const client = new S3Client({ region: 'eu-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const url = new URL(await presignGetObject(client, { Bucket: 'catchment-lake-123', Key: 'published/profiles/2025-26/100001.pdf' }, 60));
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'b'));
    client.destroy();
  });

  it('the portal’s signer gives exactly these query parameters: no checksum, no-store, attachment, PDF', async () => {
    const saved = { ...process.env };
    for (const k of ['AWS_REQUEST_CHECKSUM_CALCULATION', 'AWS_RESPONSE_CHECKSUM_VALIDATION', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'CATCHMENT_S3_FORCE_PATH_STYLE', 'AWS_PROFILE']) delete process.env[k];
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-2',
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'portal-secret',
      AWS_SESSION_TOKEN: 'session-token',
    });
    const client = portalS3Client();
    try {
      const url = new URL(await signPdf(client, 'catchment-lake-123', 'published/profiles/2025-26/100001.pdf', 'catchment-profile-100001-2025-26.pdf', 120));
      expect(url.protocol).toBe('https:');
      expect(url.host).toBe('catchment-lake-123.s3.eu-west-2.amazonaws.com');
      expect([...url.searchParams.keys()].sort()).toEqual(
        [
          'X-Amz-Algorithm',
          'X-Amz-Content-Sha256',
          'X-Amz-Credential',
          'X-Amz-Date',
          'X-Amz-Expires',
          'X-Amz-Security-Token',
          'X-Amz-Signature',
          'X-Amz-SignedHeaders',
          'response-cache-control',
          'response-content-disposition',
          'response-content-type',
          'x-id',
        ].sort(),
      );
      expect(url.searchParams.get('response-cache-control')).toBe('no-store');
      expect(url.searchParams.get('response-content-disposition')).toBe('attachment; filename="catchment-profile-100001-2025-26.pdf"');
      expect(url.searchParams.get('response-content-type')).toBe('application/pdf');
      expect(url.searchParams.get('X-Amz-Expires')).toBe('120');
      expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
      expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'portal-secret'));
    } finally {
      process.env = saved;
      client.destroy();
    }
  });

  it('refuses lifetimes S3 cannot honour', async () => {
    const client = new S3Client({ region: 'eu-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    await expect(presignGetObject(client, { Bucket: 'b', Key: 'k' }, 0)).rejects.toThrow(/expiresIn/);
    await expect(presignGetObject(client, { Bucket: 'b', Key: 'k' }, 8 * 24 * 3600)).rejects.toThrow(/expiresIn/);
    client.destroy();
  });
});
