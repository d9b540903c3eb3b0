/**
 * The Portal construct in a throwaway stack (its own key and lake bucket): template assertions for
 * the authorizer, throttling, access logs, the presigned URL lifetime, the Lambda shape and
 * CloudFront's origin access control; cdk-nag 3 AwsSolutions through CDK's validation plugin report
 * (no unacknowledged finding, no stale acknowledgement); cfn-lint on the synthesized template.
 * Lambda bundling is skipped (`aws:cdk:bundling-stacks` empty): the template does not need it.
 */
import { App, Stack, Validations, type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PORTAL_PRESIGN_MAX_SECONDS, Portal } from '../../infra/constructs/portal.ts';
import { PROJECT_ROOT } from '../../infra/constructs/catchment-function.ts';
import { NOT_FOUND_PAGE, errorHtml, errorPageFor } from '../../functions/portal/pages.ts';
import { siteOf } from '../../functions/portal/site.ts';
import { cdkJsonContext, resourcesOf, tmpOutdir, type Json } from './helpers.ts';

const WEB_ACL = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/catchment-portal/0b1c2d3e-aaaa-bbbb-cccc-000000000000';

class CapturingPlugin implements IPolicyValidationPlugin {
  public readonly name: string;
  public report?: PolicyValidationPluginReport;
  constructor(private readonly inner: AwsSolutionsChecks) {
    this.name = inner.name;
  }
  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.report = this.inner.validate(context);
    return this.report;
  }
}

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  const out: { path: string; id: string; reason: string }[] = [];
  const visit = (c: IConstruct) => {
    for (const m of c.node.metadata) {
      if (m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
        for (const [id, reason] of Object.entries(m.data as Record<string, string>)) out.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
    c.node.children.forEach(visit);
  };
  visit(root);
  return out;
}

function buildPortalApp(props: Partial<ConstructorParameters<typeof Portal>[2]> = {}) {
  const app = new App({ outdir: tmpOutdir(), context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'PortalTest', { env: { account: '123456789012', region: 'eu-west-2' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const logKey = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
  logKey.grantEncryptDecrypt(new iam.ServicePrincipal('logs.eu-west-2.amazonaws.com'));
  const lake = new s3.Bucket(stack, 'Lake', {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    serverAccessLogsPrefix: 'lake/',
  });
  const portal = new Portal(stack, 'Portal', { lakeBucket: lake, publishedKey: key, logKey, webAclArn: WEB_ACL, ...props });
  return { app, stack, portal, lake, key };
}

let app: App;
let stack: Stack;
let portal: Portal;
let template: Template;
let json: Json;
let plugin: CapturingPlugin;

beforeAll(() => {
  ({ app, stack, portal } = buildPortalApp());
  plugin = new CapturingPlugin(new AwsSolutionsChecks(app, { verbose: true }));
  Validations.of(app).addPlugins(plugin);
  app.synth();
  template = Template.fromStack(stack);
  json = template.toJSON() as Json;
});

const ref = (construct: IConstruct & { node: { defaultChild?: unknown } }) => ({ Ref: stack.getLogicalId(construct.node.defaultChild as never) });

/** The CloudFront Function whose comment matches. */
function cloudFrontFunction(comment: RegExp): Json {
  const found = resourcesOf(json, 'AWS::CloudFront::Function').filter(([, f]) => comment.test(f.Properties.FunctionConfig.Comment));
  expect(found).toHaveLength(1);
  return found[0]![1];
}

describe('Portal construct: template', () => {
  it('authorizes every route with the Cognito user pool JWT authorizer, access tokens only', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [ref(portal.userPoolClient)],
        Issuer: {
          'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^https://cognito-idp\\.'), ref(portal.userPool)])],
        },
      },
    });
    const routes = resourcesOf(json, 'AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual([
      'GET /api/feedback',
      'GET /api/me',
      'GET /api/profiles/{period}/{file}',
      'GET /api/reports/{period}/{file}',
      'POST /api/feedback',
      'POST /api/sign-out',
    ]);
    for (const [, r] of routes) {
      expect(r.Properties.AuthorizationType).toBe('JWT');
      expect(r.Properties.AuthorizerId).toBeDefined();
      expect(r.Properties.AuthorizationScopes).toEqual(['openid']);
    }
  });

  it('throttles every route, feedback harder, and writes JSON access logs to an encrypted log group', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      RouteSettings: { 'POST /api/feedback': { ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 } },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [stack.getLogicalId(portal.accessLog.node.defaultChild as never), 'Arn'] }, Format: Match.anyValue() },
    });
    const [[, stage]] = resourcesOf(json, 'AWS::ApiGatewayV2::Stage') as [[string, Json]];
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', authorizerError: '$context.authorizer.error' });
    expect(JSON.stringify(format)).not.toMatch(/claims|authorization|body/i);
    // No client IPs unless the deployer opts in (accessLogClientIps).
    expect(JSON.stringify(format)).not.toMatch(/sourceIp|identity\.|x-forwarded-for/i);
    const optedIn = Template.fromStack(buildPortalApp({ accessLogClientIps: true }).stack).toJSON() as Json;
    const [[, stage2]] = resourcesOf(optedIn, 'AWS::ApiGatewayV2::Stage') as [[string, Json]];
    expect(JSON.parse(stage2.Properties.AccessLogSettings.Format)).toMatchObject({ ip: '$context.identity.sourceIp' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  it('sends a browser navigating to /api/ to the page (a PDF link to sign-in and that document), and lets the page’s requests through', () => {
    const fn = cloudFrontFunction(/send browser navigations/);
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    const [[, dist]] = resourcesOf(json, 'AWS::CloudFront::Distribution') as [[string, Json]];
    const api = dist.Properties.DistributionConfig.CacheBehaviors.find((b: Json) => b.PathPattern === '/api/*');
    expect(api.FunctionAssociations).toHaveLength(1);
    expect(api.FunctionAssociations[0].EventType).toBe('viewer-request');
    const handler = new Function(`${fn.Properties.FunctionCode}; return handler;`)() as (e: unknown) => Json;
    const run = (uri: string, mode?: string, method = 'GET') => handler({ request: { uri, method, headers: mode ? { 'sec-fetch-mode': { value: mode } } : {} } });
    expect(run('/api/profiles/2025-26/100001.pdf', 'navigate')).toMatchObject({ statusCode: 302, headers: { location: { value: '/?download=%2Fapi%2Fprofiles%2F2025-26%2F100001.pdf' } } });
    expect(run('/api/reports/2025-26/fair-access.pdf', 'navigate').headers.location.value).toBe('/?download=%2Fapi%2Freports%2F2025-26%2Ffair-access.pdf');
    expect(run('/api/me', 'navigate').headers.location.value).toBe('/');
    expect(run('/api/profiles/2025-26/100001.pdf', 'cors')).toMatchObject({ uri: '/api/profiles/2025-26/100001.pdf' });
    expect(run('/api/feedback', undefined, 'POST')).toMatchObject({ uri: '/api/feedback' });
  });

  it('serves the portal’s own “Page not found” for any address that is not one of the page’s files (not S3’s XML)', () => {
    const fn = cloudFrontFunction(/page-not-found/);
    const [[, dist]] = resourcesOf(json, 'AWS::CloudFront::Distribution') as [[string, Json]];
    const assoc = dist.Properties.DistributionConfig.DefaultCacheBehavior.FunctionAssociations;
    expect(assoc).toHaveLength(1);
    expect(assoc[0].EventType).toBe('viewer-request');
    const handler = new Function(`${fn.Properties.FunctionCode}; return handler;`)() as (e: unknown) => Json;
    const uriFor = (uri: string) => handler({ request: { uri, method: 'GET', headers: {} } }).uri;
    // Every file the page is made of, and the deployed pages, pass through as they are.
    for (const f of [...fs.readdirSync(path.join(PROJECT_ROOT, 'web', 'portal')).map((x) => `/${x}`), '/', '/config.json', '/contact.html', '/accessibility.html', '/privacy.html', NOT_FOUND_PAGE]) {
      expect(uriFor(f)).toBe(f);
    }
    for (const f of ['/nope', '/index.html/x', '/profiles/2025-26/100001.pdf', '/.env', '/CONTACT.HTML']) expect(uriFor(f)).toBe(NOT_FOUND_PAGE);
    // The page it serves is the portal's own 404, in the deployer's words.
    const html = errorHtml(siteOf({ councilName: 'Kentish Vale County Council' }), errorPageFor(404, '', '/'));
    expect(html).toContain('Page not found');
    expect(html).toContain('Kentish Vale County Council');
  });

  it('gives the API the deployer’s site settings (council name, contact) and no logo without a file', () => {
    const { stack: st } = buildPortalApp({ site: { councilName: 'Kentish Vale County Council', logo: 'logo.svg', contact: { email: 'profiles@kv.example' } } });
    const j = Template.fromStack(st).toJSON() as Json;
    const [fn] = resourcesOf(j, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.Environment?.Variables?.PORTAL_SITE);
    const site = JSON.parse(fn![1].Properties.Environment.Variables.PORTAL_SITE);
    expect(site).toMatchObject({ councilName: 'Kentish Vale County Council', contact: { email: 'profiles@kv.example' } });
    expect(site.logo).toBeUndefined();
    expect(() => buildPortalApp({ site: { councilName: 'X', logo: 'logo.svg' }, logoFile: '/elsewhere/crest.png' })).toThrow(/must be named logo.svg/);
  });

  it(`presigns for at most ${PORTAL_PRESIGN_MAX_SECONDS} s, from an ARM64 Node.js 22 function with prefix-scoped lake access`, () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ PRESIGN_EXPIRES_SECONDS: '300', LAKE_BUCKET: Match.anyValue() }) },
    });
    const [fn] = resourcesOf(json, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.Environment?.Variables?.PRESIGN_EXPIRES_SECONDS);
    expect(Number(fn![1].Properties.Environment.Variables.PRESIGN_EXPIRES_SECONDS)).toBeLessThanOrEqual(300);
    expect(() => buildPortalApp({ presignSeconds: 301 })).toThrow(/1 to 300/);
    expect(() => buildPortalApp({ presignSeconds: 3600 })).toThrow(/1 to 300/);
    const short = Template.fromStack(buildPortalApp({ presignSeconds: 120 }).stack);
    short.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ PRESIGN_EXPIRES_SECONDS: '120' }) } });

    const role = stack.getLogicalId(portal.function.executionRole.node.defaultChild as never);
    const statements = resourcesOf(json, 'AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).not.toContain('s3:DeleteObject');
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
    const list = statements.find((s) => s.Action === 's3:ListBucket')!;
    // The documents where releases before the pointer put them, the pointer, where the runs hold them; revocations.
    expect(list.Condition).toEqual({
      StringLike: {
        's3:prefix': [
          'published/profiles/*',
          'published/reports/*',
          'published/school_context/*',
          'published/portal_feedback/*',
          'published/_publication.json*',
          'runs/*/published/profiles/*',
          'runs/*/published/reports/*',
          'runs/*/published/school_context/*',
          'portal/revoked/*',
        ],
      },
    });
    const put = statements.find((s) => s.Action === 's3:PutObject')!;
    expect(JSON.stringify(put.Resource)).toMatch(/portal\/revoked\/\*.*published\/portal_audit\/\*.*published\/portal_feedback\/\*/);
  });

  it('signs users in through Cognito: no self sign-up, MFA required, threat protection, the analyst group', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true }) },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'la-analyst' });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid'],
      AccessTokenValidity: 60,
      TokenValidityUnits: Match.objectLike({ AccessToken: 'minutes' }),
    });
  });

  it('serves the page from S3 through CloudFront with origin access control, and /api/* uncached', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const [[, dist]] = resourcesOf(json, 'AWS::CloudFront::Distribution') as [[string, Json]];
    const cfg = dist.Properties.DistributionConfig;
    const s3Origin = (cfg.Origins as Json[]).find((o) => o.S3OriginConfig)!;
    expect(s3Origin.OriginAccessControlId).toBeDefined();
    expect(s3Origin.S3OriginConfig.OriginAccessIdentity).toBe('');
    expect(cfg.Restrictions.GeoRestriction).toEqual({ Locations: ['GB'], RestrictionType: 'whitelist' });
    expect(cfg.WebACLId).toBe(WEB_ACL);
    expect(cfg.Logging.Bucket).toBeDefined();
    expect(cfg.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    const api = (cfg.CacheBehaviors as Json[]).find((b) => b.PathPattern === '/api/*')!;
    expect(api.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // Managed-CachingDisabled
    expect(api.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac'); // Managed-AllViewerExceptHostHeader
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' })]) },
    });
    template.resourceCountIs('Custom::CDKBucketDeployment', 1);
  });
});

describe('Portal construct: cdk-nag AwsSolutions (validation plugin report)', () => {
  it('reports no unacknowledged finding', () => {
    expect(plugin.report, 'the plugin was not invoked by synth').toBeDefined();
    const summary = plugin.report!.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId).join(', ')}: ${v.description}`);
    expect(summary).toEqual([]);
    expect(plugin.report!.success).toBe(true);
  });

  it('acknowledges only with reasons, and only findings that exist (no stale acknowledgement)', () => {
    const raw = new AwsSolutionsChecks(undefined);
    (raw as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const report = raw.validateScope(app);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })));
    // The portal's own, and those it puts on CDK's BucketDeployment provider (a stack-level singleton).
    const acks = acknowledgements(app).filter((a) => a.path.startsWith('PortalTest/Portal') || a.path.startsWith('PortalTest/Custom::CDKBucketDeployment'));
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.reason.length, `${a.id} @ ${a.path}`).toBeGreaterThanOrEqual(60);
      const used = findings.some((f) => f.id === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`)));
      expect(used, `acknowledgement ${a.id} on ${a.path} matches no finding`).toBe(true);
    }
    const ids = [...new Set(acks.map((a) => a.id.replace(/\[.*$/, '')))].sort();
    // No CFR2 any more: the web ACL is required.
    expect(ids).toEqual(['AwsSolutions-CFR4', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-SMG4']);
  });
});

describe('Portal construct: cfn-lint', () => {
  it('reports no error on the synthesized template', () => {
    const file = join(app.outdir, 'PortalTest.template.json');
    const res = spawnSync('cfn-lint', ['--format', 'json', '--', file], { encoding: 'utf8', timeout: 300_000 });
    expect(res.error, 'cfn-lint did not run').toBeUndefined();
    const findings = JSON.parse(res.stdout || '[]') as Json[];
    const errors = findings.filter((f) => f.Level === 'Error');
    for (const w of findings.filter((f) => f.Level !== 'Error')) console.log(`[portal] cfn-lint ${w.Level} ${w.Rule.Id} ${w.Location?.Path?.join('/')}: ${w.Message}`);
    expect(errors.map((e) => `${e.Rule.Id} ${e.Location?.Path?.join('/')}: ${e.Message}`)).toEqual([]);
    expect(res.status! & 2, 'cfn-lint exit status says error').toBe(0);
  });
});
