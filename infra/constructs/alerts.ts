/**
 * Alerts: one KMS-encrypted SNS topic that failed nightly runs, the ingest dead-letter queue and the
 * alarms publish to, with an optional e-mail subscription. Messages carry run ids and error
 * names, never rows or object contents.
 */
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertsProps {
  /** Key that encrypts the topic (the key policy must let CloudWatch use it; Storage's does). */
  readonly key: kms.IKey;
  /**
   * Display name of the topic (shown as the e-mail sender name).
   * @default 'catchment alerts'
   */
  readonly displayName?: string;
  /**
   * E-mail address subscribed to the topic (the recipient must confirm the subscription).
   * @default - no subscription
   */
  readonly email?: string;
}

export class Alerts extends Construct {
  public readonly topic: sns.Topic;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.key = props.key;
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: props.displayName ?? 'catchment alerts',
      masterKey: props.key,
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }

  /** Send an alarm's ALARM transitions to the topic. */
  public alarmTo(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
  }

  /** sns:Publish on the topic plus the two KMS actions an encrypted topic needs (no wildcard actions). */
  public grantPublish(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] });
    iam.Grant.addToPrincipal({ grantee, actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resourceArns: [this.key.keyArn] });
  }
}
