/**
 * CDK app entry: `npx cdk synth` (cdk.json runs `npx tsx infra/app.ts`).
 *
 * Synthesizes without AWS credentials: the stack is environment-agnostic (it deploys into the
 * account and region of the credentials used for `cdk deploy`) unless the context pins them
 * (`-c account=123456789012 -c region=eu-west-2`). CDK_DEFAULT_ACCOUNT/REGION are deliberately not
 * used: without credentials the CLI sets the region to us-east-1, which would pin the template there.
 * cdk-nag's AwsSolutions pack runs on every synth through CDK's policy validation: an
 * unacknowledged finding fails the synth (`-c nag=false` skips it).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configOf } from './config.ts';
import { CatchmentStack } from './stack.ts';

export function buildApp(app = new App()): { app: App; stack: CatchmentStack } {
  const config = configOf(app);
  const account = app.node.tryGetContext('account') as string | undefined;
  const region = app.node.tryGetContext('region') as string | undefined;
  const stack = new CatchmentStack(app, config.stackName, {
    config,
    ...(account || region ? { env: { account, region } } : {}),
  });
  if (app.node.tryGetContext('nag') !== 'false' && app.node.tryGetContext('nag') !== false) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
  return { app, stack };
}

const entry = process.argv[1] ?? '';
if (/infra[\\/]app\.ts$/.test(entry)) {
  buildApp().app.synth();
}
