/**
 * Portal: the heads' portal on AWS, self-contained (give it the lake bucket, the published-data key,
 * a key for its logs and the CloudFront web ACL).
 *
 *   browser ── CloudFront (HTTPS, WAF web ACL, GB only, security headers, access logs)
 *                ├── /*      → S3 web bucket (origin access control; web/portal + config.json)
 *                └── /api/*  → API Gateway HTTP API (JWT authorizer: Cognito access tokens,
 *                              throttled, access logs without IPs) → Lambda portal-api (ARM64, Node.js 22)
 *                                  ├── refuses anything without CloudFront's origin secret header
 *                                  ├── presigned GET URLs (≤ 300 s) for published/profiles|reports/*.pdf
 *                                  ├── Parquet audit + feedback under published/portal_audit|feedback/
 *                                  └── sign-out revocations under portal/revoked/
 *
 * CloudFront is the only way in: the HTTP API's execute-api endpoint cannot be switched off while it
 * is CloudFront's origin (that would need a custom domain, which is just as public), and HTTP APIs
 * take no resource policy or WAF, so CloudFront adds a generated secret header (Secrets Manager,
 * referenced dynamically, never in the template) and the function refuses, audited, any request
 * without it before anything else. The execute-api address is not an output. The web ACL (per-IP
 * rate rules, AWS managed rules) must be created in us-east-1 (infra/edge-stack.ts) and is passed in.
 *
 * Keys: the function can use the published-data key only, through S3 and for the lake bucket only;
 * its log groups use `logKey` (whose policy must let CloudWatch Logs use it, as Storage.logKey's does).
 *
 * Sign-in: a Cognito user pool (no self sign-up, MFA required, threat protection enforced) with
 * managed login; the page uses the authorization code flow with PKCE and sends the access token.
 *
 * Claims model: Cognito groups, in the access token's `cognito:groups` claim.
 * - `la-analyst` (created here): every school's profiles and the fair-access reports.
 * - `urn-<6-digit URN>`: head of that school; an executive head is in several. Administrators create
 *   a school's group the first time it has a head and add the head to it:
 *     aws cognito-idp create-group --user-pool-id <pool> --group-name urn-123456
 *     aws cognito-idp admin-create-user --user-pool-id <pool> --username head@school.example \
 *         --user-attributes Name=email,Value=head@school.example Name=email_verified,Value=true
 *     aws cognito-idp admin-add-user-to-group --user-pool-id <pool> --username head@school.example --group-name urn-123456
 *   Groups rather than a `custom:urns` attribute: users cannot change their own groups (a custom
 *   attribute is user-writable unless every app client forbids it), changes are in CloudTrail, and
 *   groups are in the access token (custom attributes only in the ID token). A pool holds up to
 *   10,000 groups and a user up to 100, well beyond one LA's schools and any executive head.
 *
 * Presigned URL lifetime: the function signs with its role's session credentials, and a presigned
 * URL is valid until its expiry or those credentials' expiry, whichever comes first, so
 * `presignSeconds` (≤ 300) is an upper bound that credentials can only shorten.
 *
 * Not covered here: requests refused by the JWT authorizer itself (no/invalid token) never reach the
 * function, so they are in the API access log (with `$context.authorizer.error`), not in the
 * portal_audit table, which records everything the function sees.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PUBLISHED_KEY_ENV } from '../../functions/commons/data-classes.ts';
import { ORIGIN_VERIFY_HEADER } from '../../functions/portal/edge.ts';
import { HSTS_SECONDS, SECURITY_HEADERS, pageCsp } from '../../functions/portal/security-headers.ts';
import { INFO_PAGES, NAVIGATION_REDIRECT_FUNCTION, NOT_FOUND_PAGE, errorHtml, errorPageFor, infoPageHtml, pageAddressFunction, type InfoPage } from '../../functions/portal/pages.ts';
import { REVOKED_PREFIX } from '../../functions/portal/sessions.ts';
import { siteForPage, siteOf, type PortalSiteInput } from '../../functions/portal/site.ts';
import { CatchmentFunction, PROJECT_ROOT } from './catchment-function.ts';
import { acknowledge, acknowledgeWildcardResources, flattenCfn } from './nag.ts';
import { grantKeyThroughS3 } from './storage.ts';

/** Upper bound on presigned URL lifetime (seconds), as in functions/portal/handler.ts. */
export const PORTAL_PRESIGN_MAX_SECONDS = 300;
export const ANALYST_GROUP = 'la-analyst';

/**
 * Lake prefixes the portal reads: the published documents and school names, where the publication
 * pointer (published/_publication.json, read too) says each run holds them (runs/<run>/published/...),
 * and where releases before the pointer put them (published/...).
 */
export const PORTAL_READ_PREFIXES = [
  'published/profiles/',
  'published/reports/',
  'published/school_context/',
  'published/portal_feedback/',
  'published/_publication.json',
  'runs/*/published/profiles/',
  'runs/*/published/reports/',
  'runs/*/published/school_context/',
];
/** Lake prefixes the portal writes: its own datasets and sign-out revocations. */
export const PORTAL_WRITE_PREFIXES = ['published/portal_audit/', 'published/portal_feedback/', REVOKED_PREFIX];
/** Prefixes the portal lists (document existence, revocation checks). */
export const PORTAL_LIST_PREFIXES = [...PORTAL_READ_PREFIXES, REVOKED_PREFIX];

export interface PortalThrottle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Burst (bucket size). */
  readonly burstLimit: number;
}

export interface PortalProps {
  /** The lake bucket (published/ documents in, portal datasets out). */
  readonly lakeBucket: s3.IBucket;
  /** KMS key of the lake's published data (published/, portal/): the only key the function may use. */
  readonly publishedKey: kms.IKey;
  /** KMS key of the portal's log groups (its policy must let CloudWatch Logs use it). */
  readonly logKey: kms.IKey;
  /**
   * ARN of the CloudFront (global) WAF web ACL, from the edge stack in us-east-1 (infra/edge-stack.ts).
   * Required: the portal is not put on the internet without one.
   */
  readonly webAclArn: string;
  /**
   * Lifetime of presigned download URLs in seconds, 1..300.
   * @default 300
   */
  readonly presignSeconds?: number;
  /**
   * Cognito managed-login domain prefix (unique in the region; no "aws", "amazon" or "cognito").
   * @default `catchment-portal-<account id>`
   */
  readonly domainPrefix?: string;
  /**
   * Default throttle of every API route.
   * @default 10 requests/s, burst 20
   */
  readonly throttle?: PortalThrottle;
  /**
   * Throttle of POST /api/feedback.
   * @default 2 requests/s, burst 5
   */
  readonly feedbackThrottle?: PortalThrottle;
  /**
   * Countries (ISO 3166-1 alpha-2) CloudFront serves.
   * @default ['GB']
   */
  readonly allowedCountries?: string[];
  /**
   * Cognito threat protection (feature plan Plus, enforced). Turning it off saves the Plus price
   * per monthly active user.
   * @default true
   */
  readonly threatProtection?: boolean;
  /**
   * Record the caller's IP address in the API access log. Behind CloudFront this is the CloudFront
   * edge address, or the client's own when someone calls the API directly (refused by the origin
   * check, but logged). Off by default: IP addresses of school staff are personal data, and
   * CloudFront's own logs already hold the viewer's address for security investigations.
   * @default false
   */
  readonly accessLogClientIps?: boolean;
  /**
   * Retention of the API access log and function log.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Retention of CloudFront and web-bucket access logs.
   * @default Duration.days(365)
   */
  readonly accessLogRetention?: Duration;
  /**
   * Removal policy of the user pool, buckets and log groups.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * What the portal says about the council: its name, a logo, who to contact and the texts of the
   * accessibility statement and privacy notice (functions/portal/site.ts). The pages are rendered
   * at synth and deployed beside the page; the API uses the same settings for its error pages.
   * @default { councilName: 'Local authority' } (default statement and notice, no logo)
   */
  readonly site?: PortalSiteInput;
  /**
   * Path of the logo file `site.logo` names, deployed beside the page.
   * @default no logo
   */
  readonly logoFile?: string;
}

export class Portal extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  public readonly userPoolDomain: cognito.UserPoolDomain;
  public readonly api: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  public readonly function: CatchmentFunction;
  public readonly webBucket: s3.Bucket;
  public readonly logBucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  public readonly accessLog: logs.LogGroup;
  /** The header value CloudFront adds to API requests (generated; the function checks it). */
  public readonly originSecret: secretsmanager.Secret;
  /** https://<distribution domain> */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: PortalProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const presignSeconds = props.presignSeconds ?? PORTAL_PRESIGN_MAX_SECONDS;
    const given = siteOf(props.site ?? { councilName: 'Local authority' });
    if (given.logo && props.logoFile && path.basename(props.logoFile) !== given.logo) {
      throw new Error(`Portal: logoFile ${props.logoFile} must be named ${given.logo} (site.logo)`);
    }
    // A logo is shown only when its file is deployed (never a broken image).
    const site = given.logo && !props.logoFile ? { ...given, logo: undefined } : given;
    if (!Number.isInteger(presignSeconds) || presignSeconds < 1 || presignSeconds > PORTAL_PRESIGN_MAX_SECONDS) {
      throw new Error(`Portal: presignSeconds must be a whole number from 1 to ${PORTAL_PRESIGN_MAX_SECONDS} (got ${presignSeconds})`);
    }
    const throttle = props.throttle ?? { rateLimit: 10, burstLimit: 20 };
    const feedbackThrottle = props.feedbackThrottle ?? { rateLimit: 2, burstLimit: 5 };
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;

    // ---------- sign-in ----------
    const threatProtection = props.threatProtection ?? true;
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: threatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      ...(threatProtection ? { standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    if (!threatProtection) {
      acknowledge(this.userPool, 'AwsSolutions-COG3', 'Threat protection (feature plan Plus) was turned off by the threatProtection prop of Portal; MFA stays required and self sign-up stays off.');
    }
    new cognito.CfnUserPoolGroup(this, 'AnalystGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: ANALYST_GROUP,
      description: 'LA analysts: every school profile and the fair-access reports',
    });
    this.userPoolDomain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `catchment-portal-${stack.account}` },
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });

    // ---------- static page ----------
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      // CloudFront standard logging writes with an ACL grant to the log delivery account.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: props.accessLogRetention ?? Duration.days(365) }],
      removalPolicy,
    });
    this.webBucket = new s3.Bucket(this, 'Web', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED, // public page, nothing secret; CloudFront OAC reads SSE-S3 without key grants
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{ id: 'noncurrent-versions', noncurrentVersionExpiration: Duration.days(30) }],
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'web-bucket/',
      removalPolicy,
    });

    // ---------- API ----------
    // CloudFront's proof of origin: 64 random characters, generated at deployment, never in the template.
    this.originSecret = new secretsmanager.Secret(this, 'OriginSecret', {
      description: `catchment portal: the ${ORIGIN_VERIFY_HEADER} header CloudFront adds to API requests; the API refuses requests without it`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.originSecret,
      'AwsSolutions-SMG4',
      'The origin header only proves a request came through CloudFront (it grants no data access; every API route still needs a Cognito token). Rotating it means changing the secret and redeploying, so that CloudFront and the function change together; the function rereads it every 5 minutes and on a mismatch.',
    );

    this.function = new CatchmentFunction(this, 'Api', {
      handlerName: 'portal-api',
      description: 'catchment heads’ portal API: lists, presigns and audits profile downloads; stores feedback; revokes sessions at sign-out',
      memorySize: 512,
      timeout: Duration.seconds(15),
      logRetention,
      logEncryptionKey: props.logKey,
      retryAttempts: 0,
      environment: {
        LAKE_BUCKET: props.lakeBucket.bucketName,
        PRESIGN_EXPIRES_SECONDS: String(presignSeconds),
        ORIGIN_SECRET_ARN: this.originSecret.secretArn,
        [PUBLISHED_KEY_ENV]: props.publishedKey.keyArn,
        PORTAL_SITE: JSON.stringify(site),
      },
    });
    this.grantLake(props.lakeBucket, props.publishedKey);
    // The secret is encrypted with the AWS managed key of Secrets Manager, so this needs no KMS grant.
    this.function.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadOriginSecret', actions: ['secretsmanager:GetSecretValue'], resources: [this.originSecret.secretArn] }));

    this.accessLog = new logs.LogGroup(this, 'ApiAccessLog', { retention: logRetention, encryptionKey: props.logKey, removalPolicy });
    this.api = new apigw.HttpApi(this, 'HttpApi', {
      description: 'catchment heads’ portal API',
      createDefaultStage: false,
    });
    this.stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLog),
        // No tokens, claims or bodies, and no IP address unless the deployer opts in: who asked for
        // what is in the portal_audit table (request_id links the two).
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ...(props.accessLogClientIps ? { ip: '$context.identity.sourceIp' } : {}),
            method: '$context.httpMethod',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    // ---------- CloudFront (page + same-origin /api/*) ----------
    const cognitoBase = this.userPoolDomain.baseUrl();
    // The same headers the local server and the API send (functions/portal/security-headers.ts), on
    // every response of both behaviours, overriding whatever an origin sent; plus HSTS.
    const custom = (name: string) => ({ header: name, value: SECURITY_HEADERS[name]!, override: true });
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'catchment portal security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: pageCsp([cognitoBase]), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.seconds(HSTS_SECONDS), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: ['permissions-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy'].map(custom),
      },
      removeHeaders: ['server'],
    });
    const apiOrigin = new origins.HttpOrigin(`${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      // A dynamic reference: CloudFormation resolves it at deployment; the value is never in the template.
      customHeaders: { [ORIGIN_VERIFY_HEADER]: this.originSecret.secretValue.unsafeUnwrap() },
    });
    // A browser navigating to /api/... (a link to a PDF) goes to the page, not to the authorizer's JSON.
    const navigationRedirect = new cloudfront.Function(this, 'ApiNavigationRedirect', {
      comment: 'catchment portal: send browser navigations to /api/ to the page (no raw JSON)',
      code: cloudfront.FunctionCode.fromInline(NAVIGATION_REDIRECT_FUNCTION),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });
    // Any other address of the page's origin gets the portal's "Page not found", not S3's XML.
    const pageFiles = [
      ...fs.readdirSync(path.join(PROJECT_ROOT, 'web', 'portal')).map((f) => `/${f}`),
      ...(Object.keys(INFO_PAGES) as InfoPage[]).map((p) => INFO_PAGES[p].path),
      '/config.json',
      NOT_FOUND_PAGE,
      ...(site.logo && props.logoFile ? [`/${path.basename(props.logoFile)}`] : []),
    ];
    const pageAddresses = new cloudfront.Function(this, 'PageAddresses', {
      comment: 'catchment portal: unknown addresses get the portal page-not-found page',
      code: cloudfront.FunctionCode.fromInline(pageAddressFunction(pageFiles)),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'catchment heads’ portal',
      defaultRootObject: 'index.html',
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      geoRestriction: cloudfront.GeoRestriction.allowlist(...(props.allowedCountries ?? ['GB'])),
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      webAclId: props.webAclArn,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.webBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
        functionAssociations: [{ function: pageAddresses, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        // Same origin as the page: no CORS. With caching disabled, AllViewerExceptHostHeader
        // forwards the Authorization header (and query strings) to API Gateway.
        '/api/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: headers,
          functionAssociations: [{ function: navigationRedirect, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    this.userPoolClient = this.userPool.addClient('WebClient', {
      generateSecret: false, // a browser page: public client, authorization code + PKCE
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID],
        callbackUrls: [`${this.url}/`],
        logoutUrls: [`${this.url}/`],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(8),
      enableTokenRevocation: true,
    });
    new cognito.CfnManagedLoginBranding(this, 'ManagedLogin', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.userPoolClient.userPoolClientId,
      useCognitoProvidedValues: true,
    });

    const authorizer = new HttpUserPoolAuthorizer('Cognito', this.userPool, {
      userPoolClients: [this.userPoolClient],
      identitySource: ['$request.header.Authorization'],
    });
    const integration = new HttpLambdaIntegration('Lambda', this.function, { payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0 });
    // Access tokens only: ID tokens carry no `scope` claim, so requiring the openid scope refuses them.
    const routes: [apigw.HttpMethod, string][] = [
      [apigw.HttpMethod.GET, '/api/me'],
      [apigw.HttpMethod.GET, '/api/profiles/{period}/{file}'],
      [apigw.HttpMethod.GET, '/api/reports/{period}/{file}'],
      [apigw.HttpMethod.POST, '/api/feedback'],
      [apigw.HttpMethod.GET, '/api/feedback'],
      [apigw.HttpMethod.POST, '/api/sign-out'],
    ];
    const created = routes.flatMap(([method, p]) => this.api.addRoutes({ path: p, methods: [method], integration, authorizer, authorizationScopes: ['openid'] }));
    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    cfnStage.routeSettings = {
      // A JSON map in CloudFormation: keys in CloudFormation's own casing.
      'POST /api/feedback': { ThrottlingRateLimit: feedbackThrottle.rateLimit, ThrottlingBurstLimit: feedbackThrottle.burstLimit },
    };
    // Route settings name routes, which must exist before the stage refers to them.
    for (const r of created) cfnStage.node.addDependency(r);

    // ---------- deploy the page and its config ----------
    const deployment = new s3deploy.BucketDeployment(this, 'DeployWeb', {
      sources: [
        s3deploy.Source.asset(path.join(PROJECT_ROOT, 'web', 'portal')),
        ...(Object.keys(INFO_PAGES) as InfoPage[]).map((p) => s3deploy.Source.data(INFO_PAGES[p].path.slice(1), infoPageHtml(site, p))),
        s3deploy.Source.data(NOT_FOUND_PAGE.slice(1), errorHtml(site, errorPageFor(404, '', '/'))),
        ...(site.logo && props.logoFile ? [s3deploy.Source.asset(path.dirname(props.logoFile), { exclude: ['*', `!${path.basename(props.logoFile)}`] })] : []),
        s3deploy.Source.jsonData('config.json', {
          mode: 'cognito',
          site: siteForPage(site),
          authDomain: cognitoBase,
          clientId: this.userPoolClient.userPoolClientId,
          scopes: ['openid'],
        }),
      ],
      destinationBucket: this.webBucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      prune: true,
      memoryLimit: 256,
      logGroup: new logs.LogGroup(this, 'DeployWebLog', { retention: logs.RetentionDays.ONE_MONTH, encryptionKey: props.logKey, removalPolicy: RemovalPolicy.DESTROY }),
    });
    this.acknowledgeDeployment(deployment);

    this.acknowledgeDefaultCertificate();

    // No output of the API's own (execute-api) address: the portal is reached through CloudFront only.
    new CfnOutput(this, 'PortalUrl', { value: this.url, description: 'Heads’ portal' });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId, description: 'Add heads to urn-<URN> groups and analysts to la-analyst here' });
  }

  /**
   * Read the documents and school names, write the portal datasets and revocations: prefix-scoped
   * object ARNs, ListBucket only under the listed prefixes, and the published-data key through S3
   * for this bucket only. Existence checks use ListObjectsV2 on the exact key (HeadObject on a
   * missing key is 403 without an unconditional ListBucket, which would expose every key in the lake).
   */
  private grantLake(bucket: s3.IBucket, key: kms.IKey): void {
    const role = this.function.executionRole;
    const readArns = PORTAL_READ_PREFIXES.map((p) => bucket.arnForObjects(`${p}*`));
    const writeArns = PORTAL_WRITE_PREFIXES.map((p) => bucket.arnForObjects(`${p}*`));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadPublishedDocuments', actions: ['s3:GetObject'], resources: readArns }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListPublishedDocuments',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': PORTAL_LIST_PREFIXES.map((p) => `${p}*`) } },
      }),
    );
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WritePortalDatasets', actions: ['s3:PutObject'], resources: writeArns }));
    grantKeyThroughS3(role, key, ['kms:Decrypt', 'kms:GenerateDataKey'], bucket, [...PORTAL_READ_PREFIXES, ...PORTAL_WRITE_PREFIXES]);
    acknowledgeWildcardResources(
      role,
      readArns,
      `Document keys are only known at run time: the portal reads profile and report PDFs (to presign them for authorised callers) and school names; s3:GetObject only, bounded to ${PORTAL_READ_PREFIXES.map((p) => `${p}*`).join(', ')} of the lake bucket.`,
    );
    acknowledgeWildcardResources(
      role,
      writeArns,
      `The portal writes one new object per request (audit), submission (feedback) or sign-out (an empty revocation marker named by the session id); s3:PutObject only (no delete), bounded to ${PORTAL_WRITE_PREFIXES.map((p) => `${p}*`).join(', ')}.`,
    );
  }

  /**
   * The BucketDeployment's provider (a CDK-owned singleton function that copies web/portal into the
   * web bucket at deploy time, never at run time) comes with CDK's own grants. Each wildcard in them
   * is acknowledged one by one, read from the provider role's resolved policy, so nothing beyond what
   * CDK granted is covered.
   */
  private acknowledgeDeployment(deployment: s3deploy.BucketDeployment): void {
    const role = deployment.handlerRole;
    const stack = Stack.of(this);
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'CDK’s BucketDeployment provider, which runs only at deploy time to copy the static page, uses the AWS basic execution policy to write its own logs.',
    );
    const policy = role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
    const statements = (policy ? stack.resolve(policy.document.toJSON())?.Statement : []) as { Action: string | string[]; Resource: unknown }[];
    const webBucketId = stack.getLogicalId(this.webBucket.node.defaultChild as s3.CfnBucket);
    const seen = new Set<string>();
    for (const st of statements ?? []) {
      for (const action of [st.Action].flat()) {
        if (action.includes('*') && !seen.has(action)) {
          seen.add(action);
          acknowledge(role, `AwsSolutions-IAM5[Action::${action}]`, `CDK’s BucketDeployment provider is granted ${action} by CDK’s own bucket grants (grantRead on the asset bucket, grantReadWrite on the web bucket) to sync the page at deploy time.`);
        }
      }
      for (const resource of [st.Resource].flat()) {
        const flat = flattenCfn(resource);
        if (!flat.includes('*') || seen.has(flat)) continue;
        seen.add(flat);
        const reason =
          flat === '*'
            ? 'CDK’s BucketDeployment provider creates and checks a CloudFront invalidation of the portal after deploying the page; CDK grants cloudfront:CreateInvalidation/GetInvalidation on *.'
            : flat.includes(webBucketId)
              ? 'CDK’s BucketDeployment provider writes and prunes the page’s files, whose names come from web/portal, in the portal’s own web bucket only.'
              : 'CDK’s BucketDeployment provider reads the zipped page sources from the CDK asset bucket of this account and region only.';
        acknowledge(role, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
      }
    }
    const provider = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (provider) {
      acknowledge(
        provider,
        'AwsSolutions-L1',
        'CDK’s BucketDeployment provider runtime is chosen by aws-cdk-lib and moves with it; it runs only during deployments to copy the static page.',
      );
    }
  }

  private acknowledgeDefaultCertificate(): void {
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'The distribution uses the default *.cloudfront.net certificate, for which CloudFront does not let viewers be limited to TLS 1.2; add a custom domain with an ACM certificate (minimum TLSv1.2_2021) to close this. Origins are reached over TLS 1.2 only.',
    );
  }
}
