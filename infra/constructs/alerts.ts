/**
 * Alerts: one KMS-encrypted SNS topic that failed nightly runs, the ingest dead-letter queue and the
 * alarms publish to, with an optional e-mail subscription. Messages carry run ids and error
 * names, never rows or object contents.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertsProps {
  /** Key that encrypts the topic (the logs-and-alerts key); its policy gets CloudWatch alarms' grant. */
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
    const stack = Stack.of(this);
    // A fixed name, so the key policy can name the topic in its condition without a reference cycle
    // (the topic refers to the key, the key policy would refer to the topic).
    const topicName = `${stack.stackName}-alerts`;
    this.topic = new sns.Topic(this, 'Topic', {
      topicName,
      displayName: props.displayName ?? 'catchment alerts',
      masterKey: props.key,
      enforceSSL: true,
    });
    // CloudWatch alarms publish to the encrypted topic: only this account's alarms, only this topic.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToTheAlertTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'kms:EncryptionContext:aws:sns:topicArn': stack.formatArn({ service: 'sns', resource: topicName, arnFormat: ArnFormat.NO_RESOURCE_NAME }),
          },
        },
      }),
    );
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }

  /** Send an alarm's ALARM transitions to the topic. */
  public alarmTo(alarm: cloudwatch.Alarm): void {
    alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
  }

  /**
   * sns:Publish on the topic plus the two KMS actions an encrypted topic needs, through SNS only and
   * for this topic only (the aws:sns:topicArn encryption context SNS sets).
   */
  public grantPublish(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn] });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `sns.${Stack.of(this).region}.amazonaws.com`, 'kms:EncryptionContext:aws:sns:topicArn': this.topic.topicArn },
        },
      }),
    );
  }
}
