/**
 * PortalWebAcl: the WAF web ACL in front of the portal's CloudFront distribution. A CLOUDFRONT-scope
 * web ACL can only be created in us-east-1, so it lives in a stack of its own (infra/edge-stack.ts)
 * and the main stack takes its ARN as a parameter.
 *
 * Rules, in order (the first that blocks wins):
 * 1. AWS IP reputation list: addresses Amazon's threat intelligence sees attacking or scanning.
 * 2. Per-IP rate limit on /api/ (`apiRateLimit` requests per 5 minutes), so one client cannot use up
 *    the API stage's shared throttle (10 requests/s) that every head depends on.
 * 3. Per-IP rate limit on everything (`rateLimit` per 5 minutes).
 * 4. AWS common rule set (OWASP-style: bad bots, LFI/RFI, XSS and SQLi patterns), with its 8 KB body
 *    rule counted instead of blocking: feedback bodies may reach 16 KiB and the API enforces that limit.
 * 5. AWS known bad inputs (Log4j, Java deserialisation, host header tricks).
 * A blocked address stays blocked while its rate is over the limit. Sampled requests and CloudWatch
 * metrics are on; full WAF logging is not (it would keep every client IP and header).
 *
 * The limits are generous on purpose: schools often share one internet address through a regional
 * broadband network, and a council's analysts share the council's.
 */
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface PortalWebAclProps {
  /**
   * Requests one IP address may send in 5 minutes, on any path.
   * @default 1000
   */
  readonly rateLimit?: number;
  /**
   * Requests one IP address may send in 5 minutes to /api/.
   * @default 300
   */
  readonly apiRateLimit?: number;
  /**
   * Prefix of the metric names.
   * @default 'catchment-portal'
   */
  readonly metricPrefix?: string;
}

export class PortalWebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: PortalWebAclProps = {}) {
    super(scope, id);
    const prefix = props.metricPrefix ?? 'catchment-portal';
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${prefix}-${name}`,
    });
    const managed = (priority: number, name: string, ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[]): wafv2.CfnWebACL.RuleProperty => ({
      name: `aws-${name}`,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ...(ruleActionOverrides ? { ruleActionOverrides } : {}) } },
      visibilityConfig: visibility(name),
    });
    const perIp = (priority: number, name: string, limit: number, scopeDownStatement?: wafv2.CfnWebACL.StatementProperty): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      action: { block: {} },
      statement: { rateBasedStatement: { aggregateKeyType: 'IP', limit, evaluationWindowSec: 300, ...(scopeDownStatement ? { scopeDownStatement } : {}) } },
      visibilityConfig: visibility(name),
    });
    const apiPaths: wafv2.CfnWebACL.StatementProperty = {
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'STARTS_WITH',
        searchString: '/api/',
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    };
    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      managed(0, 'AWSManagedRulesAmazonIpReputationList'),
      perIp(1, 'api-requests-per-ip', props.apiRateLimit ?? 300, apiPaths),
      perIp(2, 'requests-per-ip', props.rateLimit ?? 1000),
      managed(3, 'AWSManagedRulesCommonRuleSet', [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }]),
      managed(4, 'AWSManagedRulesKnownBadInputsRuleSet'),
    ];
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      description: 'catchment portal of the heads: IP reputation, per-IP rate limits, AWS common and known bad input rules',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('web-acl'),
      rules,
    });
  }
}
