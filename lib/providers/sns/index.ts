import { ConfigError } from '../../errors.js';
import type { AuthContext, Authentication, Provider, SecretSpec } from '../types.js';
import { secretOf } from '../secrets.js';
import { certificateResolver, confirmSnsSubscription } from './client.js';
import { mapCarried } from '../queue-native.js';
import { isLambdaSnsEvent, isSnsEnvelope, mapSnsWith } from './map.js';
import { isSnsUrl, topicRegion, type VerifiedSnsMessage, verifySns } from './verify.js';

/** A comma-separated list of SNS topic ARNs; a malformed one fails naming the variable, never silently dropped. */
function topicArnsOf(value: string, variable: string): readonly string[] | undefined {
  const arns = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const arn of arns) {
    if (!/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/u.test(arn))
      throw new ConfigError(variable, `"${arn}" is not an SNS topic ARN`);
  }
  return arns.length > 0 ? arns : undefined;
}

/** Not an SSM parameter: topic ARNs are not secret, they are an allowlist. */
const TOPIC_ARNS = {
  variable: 'SNS_TOPIC_ARNS',
  key: 'snsTopicArns',
  kind: 'topicArns',
  parameter: false,
  parse: topicArnsOf,
} as const satisfies SecretSpec<string, 'topicArns'>;

/**
 * SubscriptionConfirmation of an allow-listed topic (the allowlist was checked before the signature):
 * confirm by GET on the SubscribeURL, itself pinned to the SNS host of the topic's own region.
 * UnsubscribeConfirmation: nothing to do. A Notification is mapped like any payload (undefined here).
 */
async function answerControlMessage(
  message: VerifiedSnsMessage,
  ctx: AuthContext,
): Promise<Authentication | undefined> {
  const fields = { topicArn: message.topicArn, messageId: message.messageId };
  if (message.type === 'UnsubscribeConfirmation') {
    return {
      ok: true,
      answer: {
        statusCode: 200,
        body: { queued: 0, ignored: 1, rejected: 0 },
        log: { level: 'info', message: 'SNS unsubscribe confirmation received; nothing to do', fields },
      },
    };
  }
  if (message.type !== 'SubscriptionConfirmation') return undefined;
  // The SubscribeURL is signed, and must also be the SNS host of the topic's own region.
  const region = topicRegion(message.topicArn);
  if (region === undefined || !isSnsUrl(message.subscribeUrl, { region })) {
    return {
      ok: true,
      answer: {
        statusCode: 400,
        body: { error: 'bad_request', reason: 'untrusted_subscribe_url' },
        log: {
          level: 'warn',
          message: 'SNS SubscriptionConfirmation with a SubscribeURL outside the SNS host; not confirmed',
          fields,
        },
      },
    };
  }
  try {
    await (ctx.confirmSubscription ?? confirmSnsSubscription)(message.subscribeUrl);
  } catch (error) {
    // SNS retries only 5xx and timeouts (https://docs.aws.amazon.com/sns/latest/dg/SendMessageToHttp.prepare.html).
    return {
      ok: true,
      answer: {
        statusCode: 503,
        body: { error: 'unavailable', reason: 'confirmation_failed' },
        log: {
          level: 'error',
          message: 'SNS subscription could not be confirmed; answering 503 so SNS retries',
          fields: { ...fields, error: error instanceof Error ? error.message : 'unknown' },
        },
      },
    };
  }
  return {
    ok: true,
    answer: {
      statusCode: 200,
      body: { confirmed: true, topicArn: message.topicArn },
      log: { level: 'info', message: 'SNS subscription confirmed', fields },
    },
  };
}

/**
 * Our fetch of the signing certificate failed, not the sender's signature: SNS retries only 5xx and
 * timeouts, a 4xx ends the delivery (docs.aws.amazon.com/sns/latest/dg/SendMessageToHttp.prepare.html).
 */
const CERTIFICATE_UNAVAILABLE: Authentication = {
  ok: true,
  answer: {
    statusCode: 503,
    body: { error: 'unavailable', reason: 'certificate_unavailable' },
    log: { level: 'error', message: 'SNS signing certificate unavailable', fields: {} },
  },
};

/** Amazon SNS: HTTPS subscriptions (signature v1/v2, pinned certificate host, TopicArn allowlist) and envelopes on the queue. */
export const sns = {
  name: 'sns',
  map: mapSnsWith(mapCarried),
  detect: { envelope: (p) => isSnsEnvelope(p) || isLambdaSnsEvent(p) },
  detectPriority: { envelope: 20 },
  webhook: {
    secrets: [TOPIC_ARNS],
    isEnabled: (secrets) => (secretOf(secrets, TOPIC_ARNS)?.length ?? 0) > 0,
    async authenticate(ctx) {
      const result = await verifySns({
        rawBody: ctx.rawBody,
        allowedTopicArns: secretOf(ctx.secrets, TOPIC_ARNS)!,
        getCertificateKey: certificateResolver(ctx.fetchCertificate),
      });
      if (!result.ok) return result.reason === 'certificate_unavailable' ? CERTIFICATE_UNAVAILABLE : result;
      // Only the signed fields are mapped: an unsigned `Records` array next to a signed notification never is.
      return (await answerControlMessage(result.message, ctx)) ?? { ok: true, signed: result.message.envelope };
    },
    signedBody: true,
    // Only AWS signs SNS messages.
    testFromProvider:
      'Only AWS signs SNS messages. Publish a test through the topic the stack subscribes, e.g. ' +
      'aws sns publish --topic-arn <your notification topic> --message file://examples/sns.json, ' +
      "or send an email to the AWS mailbox simulator's bounce address, which bounces it.",
  },
} satisfies Provider<'sns'>;
