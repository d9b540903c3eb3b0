/**
 * Presigned S3 GET URLs.
 *
 * @aws-sdk/s3-request-presigner is not in this project's node_modules (and packages are not added
 * here), so this is the same mechanism built from what @aws-sdk/client-s3 already installs: the
 * GetObjectCommand runs through a clone of the client's own middleware stack (so the bucket endpoint,
 * path-style addressing, region and credentials are resolved exactly as for a real request), and just
 * before the signing step the request is presigned with SignatureV4MultiRegion (the signer
 * client-s3 itself depends on) instead of being sent. With the package installed this whole file
 * reduces to `getSignedUrl(client, new GetObjectCommand(input), { expiresIn })`.
 *
 * A presigned URL is valid until `expiresIn` elapses or the credentials that signed it expire,
 * whichever is first: signed with a Lambda role's session credentials it never outlives them.
 *
 * No checksum parameters: since SDK 3.729 the client's flexible-checksums middleware adds
 * `x-amz-checksum-crc32` (the CRC32 of the empty GET body) unless requestChecksumCalculation is
 * WHEN_REQUIRED, and `x-amz-checksum-mode` unless responseChecksumValidation is; neither means
 * anything to a browser fetching the URL, and S3 may refuse the first. The portal's client sets
 * both to WHEN_REQUIRED, and the signing step here drops any checksum header or parameter as well,
 * so a URL never carries them whatever client it is given.
 */
import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { formatUrl } from '@aws-sdk/core/util';
import { SignatureV4MultiRegion } from '@aws-sdk/signature-v4-multi-region';

/** Checksum headers (and their hoisted query forms) the SDK's flexible-checksums middleware adds. */
const CHECKSUM_PARAM = /^x-amz-(sdk-)?checksum-/i;

/** S3's own upper limit for SigV4 query-string authentication (7 days). */
const SIGV4_MAX_SECONDS = 7 * 24 * 3600;

interface RequestLike {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

export async function presignGetObject(client: S3Client, input: GetObjectCommandInput, expiresIn: number): Promise<string> {
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > SIGV4_MAX_SECONDS) {
    throw new Error(`presign: expiresIn must be a whole number of seconds from 1 to ${SIGV4_MAX_SECONDS}`);
  }
  const command = new GetObjectCommand(input);
  const signer = new SignatureV4MultiRegion({
    ...(client.config as object),
    service: 's3',
    uriEscapePath: false,
    applyChecksum: false,
  } as ConstructorParameters<typeof SignatureV4MultiRegion>[0]);
  const region = await client.config.region();

  const presignInstead = (_next: unknown, context: Record<string, unknown>) => async (args: { request: unknown }) => {
    const request = args.request as RequestLike;
    if (!request || typeof request !== 'object' || typeof request.headers !== 'object') throw new Error('presign: not an HTTP request');
    // SDK bookkeeping headers are per-request and must not be part of a URL that is used later.
    for (const h of ['amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-user-agent']) delete request.headers[h];
    // Checksums describe a request body; a GET has none, and a browser never sends the header form.
    for (const h of Object.keys(request.headers)) if (CHECKSUM_PARAM.test(h)) delete request.headers[h];
    for (const q of Object.keys(request.query)) if (CHECKSUM_PARAM.test(q)) delete request.query[q];
    // The body of a GET is empty and the URL is used by someone else: sign "UNSIGNED-PAYLOAD".
    request.headers['X-Amz-Content-Sha256'] = 'UNSIGNED-PAYLOAD';
    const expectedHost = `${request.hostname}${request.port != null ? `:${request.port}` : ''}`;
    if (!request.headers.host || (request.headers.host === request.hostname && request.port != null)) request.headers.host = expectedHost;
    const presigned = await signer.presign(request as never, {
      expiresIn,
      unsignableHeaders: new Set(['content-type']),
      unhoistableHeaders: new Set(),
      signingRegion: (context.signing_region as string | undefined) ?? region,
      signingService: 's3',
    });
    return { response: {}, output: { $metadata: { httpStatusCode: 200 }, presigned } };
  };

  const stack = client.middlewareStack.clone();
  stack.addRelativeTo(presignInstead as never, {
    name: 'catchmentPresignMiddleware',
    relation: 'before',
    toMiddleware: 'awsAuthMiddleware',
    override: true,
  });
  const handler = command.resolveMiddleware(stack as never, client.config, {});
  const { output } = (await handler({ input: command.input })) as unknown as { output: { presigned: RequestLike } };
  return formatUrl(output.presigned as never);
}
