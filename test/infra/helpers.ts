/**
 * Helpers for the infrastructure tests: build the app with cdk.json's context (feature flags), find
 * resources in a template, and turn the state machine's Fn::Join definition into concrete ASL.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { PROJECT_ROOT } from '../../infra/constructs/catchment-function.ts';
import type { CatchmentStack } from '../../infra/stack.ts';

export type Json = Record<string, any>;

const outdirs: string[] = [];
// Registered on the importing test file's root suite.
afterAll(() => {
  for (const d of outdirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A cloud assembly directory for an in-memory App, removed after the test file. */
export function tmpOutdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'catchment-cdk-'));
  outdirs.push(d);
  return d;
}

/** The context of cdk.json (feature flags), as the CLI passes it to the app. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context;
}

/**
 * Build and synthesize the app in memory. Lambda bundling is skipped (`aws:cdk:bundling-stacks`
 * empty): template tests do not need the bundles; the smoke test bundles for real.
 */
export function synthApp(context: Record<string, unknown> = {}, opts: { bundle?: boolean; nag?: boolean } = {}) {
  const app = new App({
    outdir: tmpOutdir(),
    context: {
      ...cdkJsonContext(),
      ...(opts.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      nag: opts.nag ? 'true' : 'false',
      ...context,
    },
  });
  const { stack, edge } = buildApp(app);
  const template = Template.fromStack(stack);
  return { app, stack: stack as CatchmentStack, template, json: template.toJSON() as Json, edge, edgeJson: Template.fromStack(edge).toJSON() as Json };
}

/** [logicalId, resource] pairs of a type. */
export function resourcesOf(json: Json, type: string): [string, Json][] {
  return Object.entries(json.Resources as Json).filter(([, r]) => r.Type === type) as [string, Json][];
}

/** Logical id of a construct's CloudFormation resource. */
export function logicalId(stack: CatchmentStack, construct: { node: { defaultChild?: unknown } } | unknown): string {
  const c = ((construct as { node: { defaultChild?: unknown } }).node.defaultChild ?? construct) as Parameters<CatchmentStack['getLogicalId']>[0];
  return stack.resolve(stack.getLogicalId(c)) as string;
}

/** Statements of every IAM policy attached to a role (by role logical id). */
export function statementsOfRole(json: Json, roleLogicalId: string): Json[] {
  const out: Json[] = [];
  for (const [, p] of resourcesOf(json, 'AWS::IAM::Policy')) {
    const roles = (p.Properties.Roles ?? []) as Json[];
    if (roles.some((r) => r.Ref === roleLogicalId)) out.push(...(p.Properties.PolicyDocument.Statement as Json[]));
  }
  const role = json.Resources[roleLogicalId];
  for (const inline of role?.Properties?.Policies ?? []) out.push(...inline.PolicyDocument.Statement);
  return out;
}

export const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Fake values substituted for CloudFormation references when a definition must be concrete. */
export interface Substitutions {
  region: string;
  account: string;
  partition: string;
  bucket: (logicalId: string) => string;
}

export const FAKE: Substitutions = {
  region: 'eu-west-2',
  account: '123456789012',
  partition: 'aws',
  bucket: (id) => `catchment-${id.toLowerCase()}`,
};

/** Resolve a CloudFormation value (Ref, Fn::GetAtt, Fn::Join) against a template with fake names. */
export function concretise(value: unknown, json: Json, fake: Substitutions = FAKE): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v['Fn::Join']) {
    const [delimiter, parts] = v['Fn::Join'];
    return (parts as unknown[]).map((p) => concretise(p, json, fake)).join(delimiter);
  }
  if (v.Ref) {
    if (v.Ref === 'AWS::Partition') return fake.partition;
    if (v.Ref === 'AWS::Region') return fake.region;
    if (v.Ref === 'AWS::AccountId') return fake.account;
    if (v.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
    const r = json.Resources[v.Ref];
    if (!r) throw new Error(`unknown Ref ${v.Ref}`);
    if (r.Type === 'AWS::S3::Bucket') return fake.bucket(v.Ref);
    if (r.Type === 'AWS::SNS::Topic') return `arn:${fake.partition}:sns:${fake.region}:${fake.account}:${v.Ref}`;
    if (r.Type === 'AWS::Lambda::Function') return v.Ref;
    return v.Ref;
  }
  if (v['Fn::GetAtt']) {
    const [id, attr] = v['Fn::GetAtt'];
    const r = json.Resources[id];
    if (r?.Type === 'AWS::Lambda::Function' && attr === 'Arn') return `arn:${fake.partition}:lambda:${fake.region}:${fake.account}:function:${id}`;
    if (r?.Type === 'AWS::S3::Bucket' && attr === 'Arn') return `arn:${fake.partition}:s3:::${fake.bucket(id)}`;
    return `${id}.${attr}`;
  }
  throw new Error(`cannot concretise ${JSON.stringify(value)}`);
}

/** The state machine definition with every token replaced by a concrete value. */
export function concreteDefinition(json: Json): Json {
  const [[, sm]] = resourcesOf(json, 'AWS::StepFunctions::StateMachine');
  return JSON.parse(concretise(sm!.Properties.DefinitionString, json));
}

/** Every state of a definition, nested Map/Parallel states included, by name. */
export function allStates(definition: Json): Record<string, Json> {
  const out: Record<string, Json> = {};
  const visit = (states: Json) => {
    for (const [name, s] of Object.entries(states)) {
      out[name] = s as Json;
      if ((s as Json).ItemProcessor) visit((s as Json).ItemProcessor.States);
      if ((s as Json).Iterator) visit((s as Json).Iterator.States);
      for (const b of ((s as Json).Branches ?? []) as Json[]) visit(b.States);
    }
  };
  visit(definition.States);
  return out;
}
