/**
 * The portal's edge stack, in us-east-1: CloudFront accepts only web ACLs of CLOUDFRONT scope, and
 * those can only be created in us-east-1, whatever region the data live in. It holds nothing but the
 * web ACL (no data, no keys) and outputs its ARN, which the main stack takes as its WebAclArn
 * parameter:
 *
 *   npx cdk deploy CatchmentEdge                        # once per account (bootstrap us-east-1 first)
 *   npx cdk deploy Catchment --parameters WebAclArn=<the WebAclArn output>
 *
 * Two stacks with a parameter between them, rather than CDK's cross-region references, keep the main
 * stack environment-agnostic and `cdk synth` offline (cross-region references need both stacks'
 * accounts pinned and deploy custom resources to copy the value).
 */
import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PortalWebAcl } from './constructs/portal-web-acl.ts';

/** The only region a CLOUDFRONT-scope web ACL can be created in. */
export const EDGE_REGION = 'us-east-1';

export interface EdgeStackProps extends StackProps {
  /** Local authority name (description). */
  readonly laName: string;
  /** Requests per 5 minutes per IP address, all paths. */
  readonly rateLimit: number;
  /** Requests per 5 minutes per IP address to /api/. */
  readonly apiRateLimit: number;
}

export class EdgeStack extends Stack {
  public readonly webAcl: PortalWebAcl;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, {
      description: `catchment: the WAF web ACL of the heads’ portal for ${props.laName} (CloudFront web ACLs live in us-east-1)`,
      ...props,
    });
    Tags.of(this).add('project', 'catchment');
    Tags.of(this).add('local-authority', props.laName);
    this.webAcl = new PortalWebAcl(this, 'PortalWebAcl', { rateLimit: props.rateLimit, apiRateLimit: props.apiRateLimit });
    new CfnOutput(this, 'WebAclArn', {
      value: this.webAcl.webAcl.attrArn,
      description: 'Pass to the main stack: cdk deploy <stack> --parameters WebAclArn=<this value>',
    });
  }
}
