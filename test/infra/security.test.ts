/**
 * Least privilege around children's data, proved on the synthesized templates (issue 16):
 * - keys by data class (pupil-level, published, analysts' results, logs and alerts), each grant
 *   conditioned on the calling service and the encryption context;
 * - the portal can decrypt published data only; analysts read published tables and nothing curated,
 *   in a workgroup, results prefix and key of their own;
 * - pupil-level object versions expire within days;
 * - CloudFront as the only way in (origin secret, no execute-api URL in the outputs), a WAF web ACL
 *   (us-east-1 stack) with per-IP rate rules and AWS managed rules, security headers everywhere.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN_VERIFY_HEADER } from '../../functions/portal/edge.ts';
import { HSTS_SECONDS, SECURITY_HEADERS, pageCsp } from '../../functions/portal/security-headers.ts';
import { PUBLISHED_KEY_ENV } from '../../functions/commons/data-classes.ts';
import { CURATED_TABLES } from '../../schemas/curated.ts';
import { PORTAL_TABLES } from '../../schemas/portal.ts';
import { PUBLISHED_TABLES } from '../../schemas/published.ts';
import { asArray, concretise, FAKE, logicalId, resourcesOf, statementsOfRole, synthApp, type Json } from './helpers.ts';

let s: ReturnType<typeof synthApp>;
let keys: { pupil: string; published: string; analyst: string; log: string };
const isDeployProvider = (roleId: string) => roleId.startsWith('CustomCDKBucketDeployment');

beforeAll(() => {
  s = synthApp();
  const st = s.stack.storage;
  keys = { pupil: logicalId(s.stack, st.pupilKey), published: logicalId(s.stack, st.publishedKey), analyst: logicalId(s.stack, st.analystKey), log: logicalId(s.stack, st.logKey) };
});

const keyArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
/** Logical ids of the keys a list of statements lets its principal use (kms: actions). */
const keysUsed = (statements: Json[]) =>
  [...new Set(statements.filter((st) => st.Effect === 'Allow' && asArray<string>(st.Action).some((a) => a.startsWith('kms:'))).flatMap((st) => asArray<Json>(st.Resource).map((r) => r['Fn::GetAtt']?.[0] ?? JSON.stringify(r))))].sort();
const roleStatements = (role: { node: unknown }) => statementsOfRole(s.json, logicalId(s.stack, role as never));
const lake = () => `arn:aws:s3:::${FAKE.bucket(logicalId(s.stack, s.stack.storage.lakeBucket))}`;
const results = () => `arn:aws:s3:::${FAKE.bucket(logicalId(s.stack, s.stack.storage.athenaResultsBucket))}`;
const arnsFor = (statements: Json[], action: string) =>
  statements
    .filter((st) => st.Effect === 'Allow' && asArray<string>(st.Action).includes(action))
    .flatMap((st) => asArray(st.Resource).map((r) => concretise(r, s.json)))
    .sort();

describe('KMS: keys by data class', () => {
  it('has four customer-managed keys, rotated yearly, retained', () => {
    const all = resourcesOf(s.json, 'AWS::KMS::Key');
    expect(all.map(([id]) => id).sort()).toEqual(Object.values(keys).sort());
    for (const [id, k] of all) {
      expect(k.Properties.EnableKeyRotation, id).toBe(true);
      expect(k.DeletionPolicy, id).toBe('Retain');
    }
  });

  it('encrypts raw uploads, pupil-level lake data, the pipeline’s query results and the pseudonymisation secret with the pupil-level key', () => {
    const sse = (bucket: { node: unknown }) => s.json.Resources[logicalId(s.stack, bucket as never)].Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault;
    for (const b of [s.stack.storage.rawBucket, s.stack.storage.lakeBucket, s.stack.storage.athenaResultsBucket]) {
      expect(sse(b)).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn(keys.pupil) });
    }
    const [[, secret]] = resourcesOf(s.json, 'AWS::SecretsManager::Secret').filter(([, r]) => r.Properties.KmsKeyId);
    expect(secret!.Properties.KmsKeyId).toEqual(keyArn(keys.pupil));
    const pipeline = resourcesOf(s.json, 'AWS::Athena::WorkGroup').find(([, w]) => w.Properties.Name === 'catchment')![1];
    expect(pipeline.Properties.WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_KMS', KmsKey: keyArn(keys.pupil) });
  });

  it('unloads a run’s published tables through a pipeline workgroup whose results use the published key', () => {
    const wg = (name: string) => resourcesOf(s.json, 'AWS::Athena::WorkGroup').find(([, w]) => w.Properties.Name === name)![1].Properties.WorkGroupConfiguration;
    const publish = wg('catchment-publish');
    expect(publish.EnforceWorkGroupConfiguration).toBe(true);
    expect(publish.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_KMS', KmsKey: keyArn(keys.published) });
    expect(concretise(publish.ResultConfiguration.OutputLocation, s.json)).toBe(`s3://${results().slice('arn:aws:s3:::'.length)}/publish-results/`);
    for (const fn of [s.stack.classifyFunction, s.stack.profilesFunction]) {
      expect(s.json.Resources[logicalId(s.stack, fn)].Properties.Environment.Variables.ATHENA_PUBLISH_WORKGROUP, fn.node.id).toBe('catchment-publish');
    }
  });

  it('encrypts every log group and the alert topic with the logs-and-alerts key', () => {
    for (const [id, g] of resourcesOf(s.json, 'AWS::Logs::LogGroup')) expect(g.Properties.KmsKeyId, id).toEqual(keyArn(keys.log));
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn(keys.log) });
  });

  it('tells every function that writes the lake which key published data takes', () => {
    for (const fn of [s.stack.publishFunction, s.stack.portal.function, s.stack.classifyFunction, s.stack.profilesFunction, s.stack.renderPdfsFunction, s.stack.ingest.function]) {
      const env = s.json.Resources[logicalId(s.stack, fn)].Properties.Environment.Variables;
      expect(env[PUBLISHED_KEY_ENV], fn.node.id).toEqual(keyArn(keys.published));
    }
  });

  it('conditions every IAM grant of a key on the calling service (kms:ViaService) and the encryption context', () => {
    let n = 0;
    for (const [id, p] of resourcesOf(s.json, 'AWS::IAM::Policy')) {
      if ((p.Properties.Roles as Json[]).every((r) => isDeployProvider(r.Ref))) continue;
      for (const st of p.Properties.PolicyDocument.Statement as Json[]) {
        if (!asArray<string>(st.Action).some((a) => a.startsWith('kms:'))) continue;
        n++;
        const where = `${id}: ${JSON.stringify(st)}`;
        expect(asArray(st.Resource), where).toHaveLength(1);
        expect(st.Condition?.StringEquals?.['kms:ViaService'], where).toBeDefined();
        const context = Object.values(st.Condition as Json).flatMap((c) => Object.keys(c as Json)).filter((k) => k.startsWith('kms:EncryptionContext:'));
        expect(context, where).not.toEqual([]);
      }
    }
    expect(n).toBeGreaterThan(10);
  });

  it('conditions every key-policy grant but the account’s key administration', () => {
    for (const [id, k] of resourcesOf(s.json, 'AWS::KMS::Key')) {
      for (const st of k.Properties.KeyPolicy.Statement as Json[]) {
        const admin = st.Action === 'kms:*' && JSON.stringify(st.Principal).includes(':root');
        if (admin) continue;
        expect(st.Condition, `${id}: ${JSON.stringify(st)}`).toBeDefined();
        const keysOf = Object.values(st.Condition as Json).flatMap((c) => Object.keys(c as Json));
        expect(keysOf.some((c) => /^kms:(ViaService|EncryptionContext:)|^aws:Source(Account|Arn)$/.test(c)), `${id}: ${JSON.stringify(st)}`).toBe(true);
      }
    }
  });

  it('lets the internet-facing portal use the published key only', () => {
    const statements = roleStatements(s.stack.portal.function.executionRole);
    expect(keysUsed(statements)).toEqual([keys.published]);
    const kms = statements.filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('kms:')));
    for (const st of kms) expect(st.Condition.StringEquals['kms:ViaService']).toEqual({ 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] });
  });

  it('gives no pipeline function the analysts’ key, and the ingest function not the published one', () => {
    for (const fn of [s.stack.classifyFunction, s.stack.profilesFunction, s.stack.renderPdfsFunction, s.stack.publishFunction, s.stack.ingest.function]) {
      expect(keysUsed(roleStatements(fn.role!)), fn.node.id).not.toContain(keys.analyst);
    }
    expect(keysUsed(roleStatements(s.stack.ingest.function.role!))).toEqual([keys.pupil]);
  });
});

describe('analysts: their own workgroup, results and key; published tables and nothing curated', () => {
  const analyst = () => roleStatements(s.stack.analystRole);

  it('has an analysts’ workgroup with enforced settings, results under analysts/ with the analysts’ key, and the saved queries', () => {
    const [, wg] = resourcesOf(s.json, 'AWS::Athena::WorkGroup').find(([, w]) => w.Properties.Name === 'catchment-analysts')!;
    const cfg = wg.Properties.WorkGroupConfiguration;
    expect(cfg.EnforceWorkGroupConfiguration).toBe(true);
    expect(cfg.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_KMS', KmsKey: keyArn(keys.analyst) });
    expect(concretise(cfg.ResultConfiguration.OutputLocation, s.json)).toBe(`s3://${results().slice('arn:aws:s3:::'.length)}/analysts/`);
    const queries = resourcesOf(s.json, 'AWS::Athena::NamedQuery').map(([, q]) => q.Properties);
    expect(queries.length).toBeGreaterThan(5);
    for (const q of queries) expect(q.WorkGroup).toBe('catchment-analysts');
    expect(queries.map((q) => q.Name)).toContain('portal-feedback');
  });

  it('may query only in the analysts’ workgroup', () => {
    const athena = analyst().filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('athena:')));
    expect(athena.length).toBeGreaterThan(0);
    for (const st of athena) expect(asArray(st.Resource).map((r) => concretise(r, s.json))).toEqual([`arn:aws:athena:${FAKE.region}:${FAKE.account}:workgroup/catchment-analysts`]);
  });

  it('may read the published and portal tables’ metadata and no curated table', () => {
    const glue = analyst().filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('glue:')));
    const tables = glue.flatMap((st) => asArray(st.Resource).map((r) => concretise(r, s.json))).filter((a) => a.includes(':table/')).map((a) => a.split('/').pop()).sort();
    expect(tables).toEqual([...PUBLISHED_TABLES, ...PORTAL_TABLES].map((t) => t.name).sort());
    for (const c of CURATED_TABLES) expect(tables).not.toContain(c.name);
  });

  it('may read published/ of the lake and read-write analysts/ of the results bucket, nothing else', () => {
    // published/ (tables before the publication pointer, the portal's datasets) and each run's published/
    expect(arnsFor(analyst(), 's3:GetObject')).toEqual([`${lake()}/published/*`, `${lake()}/runs/*/published/*`, `${results()}/analysts/*`].sort());
    expect(arnsFor(analyst(), 's3:PutObject')).toEqual([`${results()}/analysts/*`]);
    const lists = analyst().filter((st) => asArray<string>(st.Action).includes('s3:ListBucket'));
    expect(lists.flatMap((st) => st.Condition.StringLike['s3:prefix']).sort()).toEqual(['analysts/*', 'published/*', 'runs/*/published/*']);
  });

  it('may decrypt published data and its own results only (never the pupil-level key)', () => {
    expect(keysUsed(analyst())).toEqual([keys.analyst, keys.published].sort());
  });

  it('the pipeline’s own results (unsuppressed counts) are out of the analysts’ reach and the pipeline cannot use theirs', () => {
    const pipelineRole = roleStatements(s.stack.profilesFunction.role!);
    expect(arnsFor(pipelineRole, 's3:GetObject')).toContain(`${results()}/results/*`);
    expect(arnsFor(analyst(), 's3:GetObject')).not.toContain(`${results()}/results/*`);
    expect(arnsFor(analyst(), 's3:GetObject')).not.toContain(`${results()}/publish-results/*`);
    const athena = pipelineRole.filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('athena:')));
    for (const r of athena.flatMap((st) => asArray(st.Resource))) expect(concretise(r, s.json)).toMatch(new RegExp(`^arn:aws:athena:${FAKE.region}:${FAKE.account}:workgroup/catchment(-publish)?$`));
  });
});

describe('erasure: pupil-level object versions expire within days', () => {
  const rules = (bucket: { node: unknown }) => s.json.Resources[logicalId(s.stack, bucket as never)].Properties.LifecycleConfiguration.Rules as Json[];
  const noncurrentDays = (bucket: { node: unknown }, prefix?: string) =>
    Math.min(...rules(bucket).filter((r) => r.NoncurrentVersionExpiration && (r.Prefix === undefined || (prefix !== undefined && prefix.startsWith(r.Prefix)))).map((r) => r.NoncurrentVersionExpiration.NoncurrentDays));

  it('raw uploads, curated and quarantine: 3 days by default; staging and query results: 1 day', () => {
    const st = s.stack.storage;
    expect(noncurrentDays(st.rawBucket, 'raw/x')).toBe(3);
    expect(noncurrentDays(st.rawBucket, 'elsewhere/x')).toBe(3);
    expect(noncurrentDays(st.athenaResultsBucket, 'results/x')).toBe(1);
    expect(noncurrentDays(st.athenaResultsBucket, 'analysts/x')).toBe(1);
    expect(noncurrentDays(st.athenaResultsBucket, 'elsewhere/x')).toBe(3);
    for (const p of ['curated/pupils/x', 'curated/contacts/x', 'quarantine/x']) expect(noncurrentDays(st.lakeBucket, p), p).toBe(3);
    expect(noncurrentDays(st.lakeBucket, 'staging/x')).toBe(1);
    // published aggregates keep 30 days of versions (no personal data; a bad run can be rolled back)
    expect(noncurrentDays(st.lakeBucket, 'published/x')).toBe(30);
    // sign-out revocations outlive every token (1 h access, 8 h refresh) and then go
    expect(rules(st.lakeBucket).find((r) => r.Prefix === 'portal/revoked/')).toMatchObject({ ExpirationInDays: 1 });
  });

  it('takes the pupil-level days from context, at most 7', () => {
    const c = synthApp({ pupilNoncurrentRetentionDays: '1' });
    const raw = c.json.Resources[logicalId(c.stack, c.stack.storage.rawBucket)].Properties.LifecycleConfiguration.Rules as Json[];
    expect(raw.find((r) => r.NoncurrentVersionExpiration && r.Prefix === undefined)!.NoncurrentVersionExpiration.NoncurrentDays).toBe(1);
    expect(() => synthApp({ pupilNoncurrentRetentionDays: '30' })).toThrow(/pupilNoncurrentRetentionDays/);
  });
});

describe('CloudFront as the only way in', () => {
  const dist = () => resourcesOf(s.json, 'AWS::CloudFront::Distribution')[0]![1].Properties.DistributionConfig as Json;

  it('adds the origin secret to every API request and the function checks the same secret', () => {
    const api = (dist().Origins as Json[]).find((o) => o.CustomOriginConfig)!;
    const header = (api.OriginCustomHeaders as Json[]).find((h) => h.HeaderName === ORIGIN_VERIFY_HEADER)!;
    const secretId = logicalId(s.stack, s.stack.portal.originSecret);
    expect(JSON.stringify(header.HeaderValue)).toMatch(new RegExp(`\\{\\{resolve:secretsmanager:.*${secretId}.*:SecretString:::\\}\\}`));
    const env = s.json.Resources[logicalId(s.stack, s.stack.portal.function)].Properties.Environment.Variables;
    expect(env.ORIGIN_SECRET_ARN).toEqual({ Ref: secretId });
    const get = roleStatements(s.stack.portal.function.executionRole).filter((st) => asArray<string>(st.Action).includes('secretsmanager:GetSecretValue'));
    expect(get.map((st) => st.Resource)).toEqual([{ Ref: secretId }]);
  });

  it('publishes no execute-api address', () => {
    for (const [name, o] of Object.entries((s.json.Outputs ?? {}) as Json)) expect(JSON.stringify(o.Value), name).not.toMatch(/execute-api|ApiEndpoint|HttpApi/);
  });

  it('attaches the WAF web ACL given as a parameter (required: no default)', () => {
    expect(dist().WebACLId).toEqual({ Ref: 'WebAclArn' });
    const p = s.json.Parameters.WebAclArn;
    expect(p.Type).toBe('String');
    expect(p.Default).toBeUndefined();
    expect(new RegExp(p.AllowedPattern).test('arn:aws:wafv2:us-east-1:123456789012:global/webacl/catchment-portal/0b1c2d3e-aaaa-bbbb-cccc-000000000000')).toBe(true);
    expect(new RegExp(p.AllowedPattern).test('arn:aws:wafv2:eu-west-2:123456789012:regional/webacl/x/0b1c2d3e')).toBe(false);
    const given = synthApp({ webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/catchment-portal/0b1c2d3e-aaaa-bbbb-cccc-000000000000' });
    expect(given.json.Parameters.WebAclArn.Default).toMatch(/global\/webacl/);
  });

  it('keeps GB only and puts the security headers on every behaviour', () => {
    const cfg = dist();
    expect(cfg.Restrictions.GeoRestriction).toEqual({ Locations: ['GB'], RestrictionType: 'whitelist' });
    const behaviours = [cfg.DefaultCacheBehavior, ...(cfg.CacheBehaviors as Json[])];
    const ids = new Set(behaviours.map((b) => JSON.stringify(b.ResponseHeadersPolicyId)));
    expect(ids.size).toBe(1);
    const [[, policy]] = resourcesOf(s.json, 'AWS::CloudFront::ResponseHeadersPolicy');
    const p = policy!.Properties.ResponseHeadersPolicyConfig;
    const sec = p.SecurityHeadersConfig;
    expect(sec.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: HSTS_SECONDS, IncludeSubdomains: true, Override: true });
    expect(sec.ContentTypeOptions.Override).toBe(true);
    expect(sec.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(sec.ReferrerPolicy).toEqual({ ReferrerPolicy: SECURITY_HEADERS['referrer-policy'], Override: true });
    expect(concretise(sec.ContentSecurityPolicy.ContentSecurityPolicy, s.json)).toMatch(new RegExp(`^${pageCsp().split('connect-src')[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}connect-src 'self' https://`));
    const custom = Object.fromEntries((p.CustomHeadersConfig.Items as Json[]).map((h) => [h.Header.toLowerCase(), h.Value]));
    for (const h of ['permissions-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy']) expect(custom[h], h).toBe(SECURITY_HEADERS[h]);
  });
});

describe('WAF web ACL (its own stack in us-east-1, as CloudFront requires)', () => {
  it('is a CLOUDFRONT-scope ACL with per-IP rate rules and AWS managed rule groups, in us-east-1', () => {
    expect(s.edge.region).toBe('us-east-1');
    expect(s.edge.stackName).toBe('CatchmentEdge');
    const [[, acl]] = resourcesOf(s.edgeJson, 'AWS::WAFv2::WebACL');
    const p = acl!.Properties;
    expect(p.Scope).toBe('CLOUDFRONT');
    expect(p.DefaultAction).toEqual({ Allow: {} });
    const rules = p.Rules as Json[];
    const rate = rules.filter((r) => r.Statement.RateBasedStatement);
    expect(rate.map((r) => [r.Statement.RateBasedStatement.AggregateKeyType, r.Statement.RateBasedStatement.Limit, r.Action])).toEqual([
      ['IP', 300, { Block: {} }],
      ['IP', 1000, { Block: {} }],
    ]);
    expect(JSON.stringify(rate[0]!.Statement.RateBasedStatement.ScopeDownStatement)).toContain('/api/');
    const managed = rules.filter((r) => r.Statement.ManagedRuleGroupStatement).map((r) => r.Statement.ManagedRuleGroupStatement.Name);
    expect(managed).toEqual(['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']);
    for (const r of rules) expect(r.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true });
    expect(s.edgeJson.Outputs.WebAclArn.Value).toEqual({ 'Fn::GetAtt': [resourcesOf(s.edgeJson, 'AWS::WAFv2::WebACL')[0]![0], 'Arn'] });
  });
});
