/**
 * cdk-nag 3 (AwsSolutions) through CDK's policy validation: `Validations.of(app).addPlugins(...)`.
 * The assertions read the plugin's own report (PolicyValidationPluginReport), not synth output.
 * Every acknowledgement must carry a real reason and must still match a finding (no stale ones).
 */
import { App, Stack, Validations, type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { cdkJsonContext, tmpOutdir } from './helpers.ts';

/** Delegates to a NagPack and keeps the report CDK got from it. */
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

const appContext = () => ({ ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], nag: 'false' });

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

let app: App;
let plugin: CapturingPlugin;

beforeAll(() => {
  app = new App({ outdir: tmpOutdir(), context: appContext() });
  buildApp(app);
  plugin = new CapturingPlugin(new AwsSolutionsChecks(app, { verbose: true }));
  Validations.of(app).addPlugins(plugin);
  app.synth();
});

describe('cdk-nag AwsSolutions', () => {
  it('runs as a CDK validation plugin and reports no unacknowledged finding', () => {
    expect(plugin.report, 'the plugin was not invoked by synth').toBeDefined();
    const summary = plugin.report!.violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId).join(', ')}: ${v.description}`);
    expect(summary).toEqual([]);
    expect(plugin.report!.success).toBe(true);
  });

  it('does find violations in a non-compliant construct (the harness is live)', () => {
    const bad = new App({ outdir: tmpOutdir(), context: appContext() });
    new s3.Bucket(new Stack(bad, 'Bad'), 'Bucket');
    const p = new CapturingPlugin(new AwsSolutionsChecks(bad));
    Validations.of(bad).addPlugins(p);
    expect(() => bad.synth()).toThrow();
    expect(p.report!.success).toBe(false);
    expect(p.report!.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });

  it('gives every acknowledgement a reason a reviewer can check', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.reason.length, `${a.id} @ ${a.path}`).toBeGreaterThanOrEqual(60);
      expect(a.id).toMatch(/^AwsSolutions-[A-Z0-9]+(\[.+\])?$/);
    }
  });

  it('has no stale acknowledgement: each one matches a finding the rules report without it', () => {
    // The same pack with acknowledgements ignored: the raw findings.
    const raw = new AwsSolutionsChecks(undefined);
    (raw as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const report = raw.validateScope(app);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })));
    for (const a of acknowledgements(app)) {
      const used = findings.some((f) => f.id === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`)));
      expect(used, `acknowledgement ${a.id} on ${a.path} matches no finding`).toBe(true);
    }
    // and the finding ids acknowledged, for the record
    const ids = [...new Set(acknowledgements(app).map((a) => a.id.replace(/\[.*$/, '')))].sort();
    // CFR4 and IAM4 come with the heads' portal (no custom certificate until the LA provides one;
    // CDK's BucketDeployment provider), each explained where it is acknowledged. No CFR2: the web
    // ACL is required (WebAclArn parameter). SMG4: the pseudonymisation key and the origin secret.
    expect(ids).toEqual(['AwsSolutions-CFR4', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-SMG4', 'AwsSolutions-SQS3']);
  });

  it('is registered by the app entry itself (cdk synth fails on a finding)', () => {
    const a = new App({ outdir: tmpOutdir(), context: { ...appContext(), nag: undefined } });
    const { stack } = buildApp(a);
    new s3.Bucket(stack, 'Unacknowledged');
    expect(() => a.synth()).toThrow(/AwsSolutions-S1/);
  });
});
