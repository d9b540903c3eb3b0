/**
 * CDK app entry: `npx cdk synth` (cdk.json runs `npx tsx infra/app.ts`).
 *
 * Synthesizes without AWS credentials: the stack is environment-agnostic (it deploys into the
 * account and region of the credentials used for `cdk deploy`) unless the context pins them
 * (`-c account=123456789012 -c region=eu-west-2`). CDK_DEFAULT_ACCOUNT/REGION are deliberately not
 * used: without credentials the CLI sets the region to us-east-1, which would pin the template there.
 * cdk-nag's AwsSolutions pack runs on every synth through CDK's policy validation: an
 * unacknowledged finding fails the synth (`-c nag=false` skips it).
 *
 * Two stacks: the main one (`stackName`, any region) and `<stackName>Edge` in us-east-1 with the
 * portal's WAF web ACL (CloudFront web ACLs exist only there; see edge-stack.ts). The main stack takes
 * the ACL's ARN as its WebAclArn parameter.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configOf } from './config.ts';
import { EDGE_REGION, EdgeStack } from './edge-stack.ts';
import { CatchmentStack } from './stack.ts';

export function buildApp(app = new App()): { app: App; stack: CatchmentStack; edge: EdgeStack } {
  const config = configOf(app);
  const account = app.node.tryGetContext('account') as string | undefined;
  const region = app.node.tryGetContext('region') as string | undefined;
  const stack = new CatchmentStack(app, config.stackName, {
    config,
    ...(account || region ? { env: { account, region } } : {}),
  });
  const edge = new EdgeStack(app, `${config.stackName}Edge`, {
    env: { account, region: EDGE_REGION },
    laName: config.laName,
    rateLimit: config.wafRateLimit,
    apiRateLimit: config.wafApiRateLimit,
  });
  if (app.node.tryGetContext('nag') !== 'false' && app.node.tryGetContext('nag') !== false) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
  return { app, stack, edge };
}

const entry = process.argv[1] ?? '';
if (/infra[\\/]app\.ts$/.test(entry)) {
  buildApp().app.synth();
}
