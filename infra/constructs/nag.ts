/**
 * Acknowledging cdk-nag (v3) findings next to the grant that causes them.
 *
 * cdk-nag 3 reads acknowledgements from CDK's native `Validations.of(scope).acknowledge()` (there is
 * no `NagSuppressions` any more). AwsSolutions-IAM5 reports one finding per wildcard, as
 * `AwsSolutions-IAM5[Resource::<flattened ARN>]` or `AwsSolutions-IAM5[Action::<action>]`, and each
 * must be acknowledged on its own. The helpers below compute the finding id from the very ARN the
 * grant uses, so an acknowledgement can never cover more than the statement it explains.
 */
import { Stack, Token, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/** cdk-nag's flattening of a CloudFormation value into a finding string (Fn::Join, GetAtt, Ref, Sub). */
export function flattenCfn(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [delimiter, items] = v['Fn::Join'] as [string, unknown[]];
    return items.map(flattenCfn).join(delimiter);
  }
  if (v['Fn::Sub']) return flattenCfn(v['Fn::Sub']);
  if (v['Fn::GetAtt']) {
    const [resource, attribute] = v['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenCfn(resource)}.${flattenCfn(attribute)}>`;
  }
  if (v['Fn::ImportValue']) return flattenCfn(v['Fn::ImportValue']);
  if (v.Ref) return `<${flattenCfn(v.Ref)}>`;
  return JSON.stringify(value);
}

/** The AwsSolutions-IAM5 finding id for a wildcard resource. */
export function iam5ResourceFinding(scope: IConstruct, resource: string): string {
  const resolved = Token.isUnresolved(resource) ? Stack.of(scope).resolve(resource) : resource;
  return `AwsSolutions-IAM5[Resource::${flattenCfn(resolved)}]`;
}

/** Where acknowledgements for a grantee go: its principal (role), so they cover its policies only. */
export function principalScope(grantee: IGrantable): IConstruct | undefined {
  const p = grantee.grantPrincipal as unknown;
  if (Construct.isConstruct(p)) return p;
  return Construct.isConstruct(grantee) ? grantee : undefined;
}

/**
 * Acknowledge the IAM5 findings of `resources` that contain a wildcard, on the grantee's principal.
 * `reason` must say why the wildcard is needed and what bounds it.
 */
export function acknowledgeWildcardResources(grantee: IGrantable, resources: string[], reason: string): void {
  const scope = principalScope(grantee);
  if (!scope) return;
  for (const r of resources) {
    const id = iam5ResourceFinding(scope, r);
    if (id.includes('*')) Validations.of(scope).acknowledge({ id, reason });
  }
}

/** Acknowledge one finding id on a scope (with a reason a reviewer can check). */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
