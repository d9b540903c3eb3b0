/**
 * CDK app entry: `npx cdk synth` (cdk.json runs `npx tsx infra/app.ts`).
 *
 * Synthesizes without AWS credentials: the stack is environment-agnostic unless CDK_DEFAULT_ACCOUNT
 * / CDK_DEFAULT_REGION are set (the CLI sets them from the profile when it can) or the context
 * names them (`-c account=... -c region=...`). cdk-nag's AwsSolutions pack runs on every synth
 * through CDK's policy validation: an unacknowledged finding fails the synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configOf } from './config.ts';
import { CatchmentStack } from './stack.ts';

export function buildApp(app = new App()): { app: App; stack: CatchmentStack } {
  const config = configOf(app);
  const account = (app.node.tryGetContext('account') as string | undefined) ?? process.env.CDK_DEFAULT_ACCOUNT;
  const region = (app.node.tryGetContext('region') as string | undefined) ?? process.env.CDK_DEFAULT_REGION;
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
