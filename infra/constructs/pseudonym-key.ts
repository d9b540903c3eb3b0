/**
 * PseudonymKey: the Secrets Manager secret holding the HMAC key that turns UPNs into pupil_id
 * pseudonyms (functions/commons/secrets.ts reads it: SecretString of hex, at least 32 bytes).
 *
 * Generated at deployment as 64 lower-case hex characters (32 bytes), encrypted with the stack's
 * key, retained on stack deletion. Losing or changing it breaks the linkage of pseudonyms across
 * years, so it is deliberately not rotated; only the ingest function may read it.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

export interface PseudonymKeyProps {
  /** Key that encrypts the secret. */
  readonly key: kms.IKey;
  /**
   * Removal policy: keep the secret when the stack is deleted, or every pseudonym becomes unlinkable.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class PseudonymKey extends Construct {
  public readonly secret: secretsmanager.Secret;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: PseudonymKeyProps) {
    super(scope, id);
    this.key = props.key;
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'catchment: HMAC-SHA256 key (hex) that pseudonymises UPNs. Do not rotate or delete: pseudonyms would no longer link across years.',
      encryptionKey: props.key,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      generateSecretString: {
        passwordLength: 64,
        // Lower-case hex only: digits and a-f.
        excludePunctuation: true,
        excludeUppercase: true,
        includeSpace: false,
        excludeCharacters: 'ghijklmnopqrstuvwxyz',
        requireEachIncludedType: false,
      },
    });
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'The pseudonymisation key must stay stable: rotating it would give every pupil a new pupil_id and break linkage across years and with earlier published outputs. Re-keying is a deliberate, documented migration, not a schedule.',
    );
  }

  /**
   * secretsmanager:GetSecretValue/DescribeSecret on this secret, and kms:Decrypt on its key only
   * through Secrets Manager (kms:ViaService) and only for this secret (the SecretARN encryption
   * context Secrets Manager sets). Written out rather than `secret.grantRead`, whose key grant has no
   * encryption-context condition.
   */
  public grantRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resourceArns: [this.secret.secretArn] });
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com`, 'kms:EncryptionContext:SecretARN': this.secret.secretArn },
        },
      }),
    );
  }
}
