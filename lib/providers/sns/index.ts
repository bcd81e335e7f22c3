import type { Provider, SecretSpec } from '../types.js';
import { secretOf } from '../secrets.js';
import { isLambdaSnsEvent, isSnsEnvelope, mapSns } from './map.js';
import { verifySns } from './verify.js';

/** Not an SSM parameter: topic ARNs are not secret, they are an allowlist. */
const TOPIC_ARNS = { variable: 'SNS_TOPIC_ARNS', key: 'snsTopicArns', kind: 'topicArns', parameter: false } as const satisfies SecretSpec;

/** Amazon SNS: HTTPS subscriptions (signature v1/v2, pinned certificate host, TopicArn allowlist) and envelopes on the queue. */
export const sns = {
  name: 'sns',
  map: mapSns,
  detect: { envelope: (p) => isSnsEnvelope(p) || isLambdaSnsEvent(p) },
  webhook: {
    secrets: [TOPIC_ARNS],
    isEnabled: (secrets) => (secretOf(secrets, TOPIC_ARNS)?.length ?? 0) > 0,
    async authenticate(ctx) {
      const result = await verifySns({ rawBody: ctx.rawBody, allowedTopicArns: secretOf(ctx.secrets, TOPIC_ARNS)!, getCertificateKey: ctx.certificateKey() });
      // Only the signed fields are mapped: an unsigned `Records` array next to a signed notification never is.
      return result.ok ? { ok: true, sns: result.message, signed: result.message.envelope } : result;
    },
    signedBody: true,
  },
} satisfies Provider<'sns'>;
