import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createCertificateCache } from '../../../../lib/providers/sns/client.js';
import { isSnsUrl, verifySns } from '../../../../lib/providers/sns/verify.js';
import { fixtureJson } from '../fixtures.js';
import {
  createTestSnsSigner,
  snsNotification,
  snsSubscriptionConfirmation,
  TEST_TOPIC_ARN,
  type TestSnsSigner,
} from '../sns-signer.js';

const awsVectors = fixtureJson<{ certificate_pem: string; messages: Array<Record<string, string>> }>(
  'sns/signature-vectors-aws-php-validator.json',
);
const body = (message: unknown) => Buffer.from(JSON.stringify(message));

let signer: TestSnsSigner;
beforeAll(() => {
  signer = createTestSnsSigner();
});

/** A certificate source that serves the test certificate and counts fetches. */
function certificates(pem = () => signer.certificatePem) {
  const fetchCertificate = vi.fn(async (_url: string) => pem());
  return { fetchCertificate, getCertificateKey: createCertificateCache(fetchCertificate) };
}

describe('verifySns with real AWS-signed messages', () => {
  it.each(
    awsVectors.messages.map(
      (m) => [`SignatureVersion ${m.SignatureVersion}${m.Subject ? ' with Subject' : ''}`, m] as const,
    ),
  )('accepts the aws-php-sns-message-validator vector (%s)', async (_name, message) => {
    // Prepare
    const getCertificateKey = createCertificateCache(async () => awsVectors.certificate_pem);

    // Act
    const result = await verifySns({
      rawBody: body(message),
      allowedTopicArns: [message.TopicArn!],
      getCertificateKey,
    });

    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects a real AWS-signed message whose Message was edited', async () => {
    // Prepare
    const message: Record<string, string> = { ...awsVectors.messages[0]!, Message: 'Hello world!' };
    const getCertificateKey = createCertificateCache(async () => awsVectors.certificate_pem);

    // Act
    const result = await verifySns({
      rawBody: body(message),
      allowedTopicArns: [message.TopicArn!],
      getCertificateKey,
    });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('verifySns with a test certificate', () => {
  it.each(['1', '2'] as const)('accepts a Notification signed with SignatureVersion %s', async (version) => {
    // Prepare
    const message = signer.sign(snsNotification('{"notificationType":"Complaint"}'), version);

    // Act
    const result = await verifySns({ rawBody: body(message), allowedTopicArns: [TEST_TOPIC_ARN], ...certificates() });

    // Assess
    expect(result).toMatchObject({ ok: true, message: { type: 'Notification', topicArn: TEST_TOPIC_ARN } });
  });

  it('accepts a SubscriptionConfirmation and returns its SubscribeURL', async () => {
    // Prepare
    const message = signer.sign(snsSubscriptionConfirmation());

    // Act
    const result = await verifySns({ rawBody: body(message), allowedTopicArns: [TEST_TOPIC_ARN], ...certificates() });

    // Assess
    expect(result).toMatchObject({
      ok: true,
      message: { type: 'SubscriptionConfirmation', subscribeUrl: message.SubscribeURL },
    });
  });

  it('accepts "Subject": null, which SNS leaves out of the signed string', async () => {
    // Prepare
    const message = { ...signer.sign(snsNotification('hello')), Subject: null };

    // Act
    const result = await verifySns({ rawBody: body(message), allowedTopicArns: [TEST_TOPIC_ARN], ...certificates() });

    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects a Notification whose Message was changed by one character', async () => {
    // Prepare
    const message = {
      ...signer.sign(snsNotification('{"notificationType":"Complaint"}')),
      Message: '{"notificationType":"Complaint "}',
    };

    // Act
    const result = await verifySns({ rawBody: body(message), allowedTopicArns: [TEST_TOPIC_ARN], ...certificates() });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it("rejects a Notification signed by a key other than the certificate's", async () => {
    // Prepare
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const message = signer.sign(snsNotification('hello'), '2', { privateKey });

    // Act
    const result = await verifySns({ rawBody: body(message), allowedTopicArns: [TEST_TOPIC_ARN], ...certificates() });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it.each([
    ['http instead of https', 'http://sns.eu-west-1.amazonaws.com/cert.pem'],
    ['a foreign host', 'https://sns.evil.com/cert.pem'],
    ['an amazonaws look-alike suffix', 'https://sns.us-east-1.amazonaws.com.evil.com/cert.pem'],
    ['a host that is not sns', 'https://s3.us-east-1.amazonaws.com/cert.pem'],
    ['a path not ending in .pem', 'https://sns.us-east-1.amazonaws.com/cert.der'],
    ['a .pem only in the query', 'https://sns.us-east-1.amazonaws.com/cert?x=.pem'],
    ['credentials in the URL', 'https://user@sns.us-east-1.amazonaws.com/cert.pem'],
    ['an explicit port', 'https://sns.us-east-1.amazonaws.com:8443/cert.pem'],
  ])('rejects a SigningCertURL with %s and never fetches it', async (_case, certUrl) => {
    // Prepare
    const message = signer.sign(snsNotification('hello'), '2', { certUrl });
    const source = certificates();

    // Act
    const result = await verifySns({ rawBody: body(message), allowedTopicArns: [TEST_TOPIC_ARN], ...source });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'untrusted_certificate_url' });
    expect(source.fetchCertificate).not.toHaveBeenCalled();
  });

  it('rejects a validly signed message from a topic that is not allow-listed, without fetching the certificate', async () => {
    // Prepare
    const message = signer.sign(snsNotification('hello', { TopicArn: 'arn:aws:sns:eu-west-1:999999999999:attacker' }));
    const source = certificates();

    // Act
    const result = await verifySns({ rawBody: body(message), allowedTopicArns: [TEST_TOPIC_ARN], ...source });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'topic_not_allowed' });
    expect(source.fetchCertificate).not.toHaveBeenCalled();
  });

  it('rejects an unknown SignatureVersion', async () => {
    // Prepare
    const message = { ...signer.sign(snsNotification('hello')), SignatureVersion: '3' };

    // Act
    const result = await verifySns({ rawBody: body(message), allowedTopicArns: [TEST_TOPIC_ARN], ...certificates() });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'unsupported_signature_version' });
  });

  it('rejects a message without Signature', async () => {
    // Prepare
    const { Signature: _dropped, ...message } = signer.sign(snsNotification('hello'));

    // Act
    const result = await verifySns({ rawBody: body(message), allowedTopicArns: [TEST_TOPIC_ARN], ...certificates() });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('rejects a body that is not an SNS message', async () => {
    // Prepare
    const rawBody = Buffer.from('[1,2,3]');

    // Act
    const result = await verifySns({ rawBody, allowedTopicArns: [TEST_TOPIC_ARN], ...certificates() });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed_message' });
  });

  it('reports certificate_unavailable when the certificate cannot be fetched', async () => {
    // Prepare
    const message = signer.sign(snsNotification('hello'));
    const getCertificateKey = createCertificateCache(async () => {
      throw new Error('ETIMEDOUT');
    });

    // Act
    const result = await verifySns({ rawBody: body(message), allowedTopicArns: [TEST_TOPIC_ARN], getCertificateKey });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'certificate_unavailable' });
  });
});

describe('createCertificateCache', () => {
  it('fetches a certificate once for concurrent verifications', async () => {
    // Prepare
    const source = certificates();
    const messages = [
      signer.sign(snsNotification('a')),
      signer.sign(snsNotification('b')),
      signer.sign(snsNotification('c')),
    ];

    // Act
    const results = await Promise.all(
      messages.map((m) =>
        verifySns({
          rawBody: body(m),
          allowedTopicArns: [TEST_TOPIC_ARN],
          getCertificateKey: source.getCertificateKey,
        }),
      ),
    );

    // Assess
    expect(results.every((r) => r.ok)).toBe(true);
    expect(source.fetchCertificate).toHaveBeenCalledTimes(1);
  });

  it('forgets a failed fetch so that the next request tries again', async () => {
    // Prepare
    let attempt = 0;
    const source = certificates(() => {
      attempt += 1;
      if (attempt === 1) throw new Error('ECONNRESET');
      return signer.certificatePem;
    });
    const message = signer.sign(snsNotification('hello'));
    await verifySns({
      rawBody: body(message),
      allowedTopicArns: [TEST_TOPIC_ARN],
      getCertificateKey: source.getCertificateKey,
    });

    // Act
    const result = await verifySns({
      rawBody: body(message),
      allowedTopicArns: [TEST_TOPIC_ARN],
      getCertificateKey: source.getCertificateKey,
    });

    // Assess
    expect(result.ok).toBe(true);
    expect(source.fetchCertificate).toHaveBeenCalledTimes(2);
  });

  it('treats a response that is not a certificate as unavailable', async () => {
    // Prepare
    const message = signer.sign(snsNotification('hello'));
    const getCertificateKey = createCertificateCache(async () => '<html>not a cert</html>');

    // Act
    const result = await verifySns({ rawBody: body(message), allowedTopicArns: [TEST_TOPIC_ARN], getCertificateKey });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'certificate_unavailable' });
  });
});

describe('isSnsUrl', () => {
  it('accepts a China-partition SNS host', () => {
    // Prepare
    const url = 'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem';

    // Act
    const ok = isSnsUrl(url, { pemPath: true });

    // Assess
    expect(ok).toBe(true);
  });
});
