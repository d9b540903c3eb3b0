/**
 * Data classes of the lake, for encryption. Pupil-level data (curated/, quarantine/, staging/) is
 * encrypted with the bucket's default key; what is published for the portal and analysts
 * (aggregates and documents under runs/<run>/published/ and published/, the publication pointer,
 * the portal's own records, run manifests) with a key of its own, so a role
 * that may read published data (the internet-facing portal, analysts) cannot decrypt a pupil-level
 * object even if an S3 permission were ever too wide. S3 stores the key with each object, so readers
 * need no setting; writers name the key for these prefixes (S3ObjectStore's `kmsKeyFor`). A writer
 * that forgot would leave an object under the default key, which the portal then cannot read: the
 * mistake fails closed.
 */

/** Lake prefixes whose objects are encrypted with the published-data key (besides runs/<run>/published/). */
export const PUBLISHED_CLASS_PREFIXES = ['published/', 'manifests/', 'portal/'] as const;

/** A run's published outputs: runs/<run>/published/... (a grant may write `*` for the run). */
const RUN_PUBLISHED = /^runs\/[^/]+\/published\//;

/** Prefix of every run's outputs (functions/lake/publication.ts). */
export const RUNS_PREFIX = 'runs/';

/** Whether a lake key (or prefix) belongs to the published data class. */
export const isPublishedClass = (key: string): boolean => PUBLISHED_CLASS_PREFIXES.some((p) => key.startsWith(p)) || RUN_PUBLISHED.test(key);

/**
 * Whether a prefix may hold objects of both classes: the whole runs/ tree, or one run's (a run's
 * published/ is published data; anything else a stage leaves in a run is not assumed to be).
 */
export const spansClasses = (prefix: string): boolean => prefix === '' || (prefix.startsWith(RUNS_PREFIX) && !isPublishedClass(prefix));

/** Environment variable naming the published-data key for the Lambda functions that write the lake. */
export const PUBLISHED_KEY_ENV = 'LAKE_PUBLISHED_KMS_KEY_ARN';

/** `kmsKeyFor` for the lake store: the published key for published-class keys, else the bucket default. */
export function lakeKmsKeyFor(publishedKeyArn: string | undefined): ((key: string) => string | undefined) | undefined {
  if (!publishedKeyArn) return undefined;
  return (key) => (isPublishedClass(key) ? publishedKeyArn : undefined);
}
