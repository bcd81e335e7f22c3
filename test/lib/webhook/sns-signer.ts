import { execFileSync } from 'node:child_process';
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snsStringToSign } from '../../../lib/providers/sns/verify.js';

/** A self-signed RSA certificate standing in for SNS's, and a signer that signs like SNS does. */
export interface TestSnsSigner {
  certificatePem: string;
  certUrl: string;
  /** Add SignatureVersion, SigningCertURL and Signature to a message (the canonical string is built from the message as given). */
  sign(
    message: Record<string, unknown>,
    version?: '1' | '2',
    options?: { privateKey?: KeyObject; certUrl?: string },
  ): Record<string, unknown>;
}

export const TEST_CERT_URL =
  'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-7e57000000000000000000000000000d.pem';

/** Generate a key and a self-signed certificate with the openssl CLI (node:crypto cannot issue certificates). */
export function createTestSnsSigner(): TestSnsSigner {
  const dir = mkdtempSync(join(tmpdir(), 'hb-sns-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=sns.amazonaws.com',
      ],
      { stdio: 'pipe' },
    );
    const privateKey = createPrivateKey(readFileSync(join(dir, 'key.pem')));
    const certificatePem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return {
      certificatePem,
      certUrl: TEST_CERT_URL,
      sign(message, version = '2', options = {}) {
        const canonical = snsStringToSign(message);
        if (canonical === undefined) throw new Error('message lacks a field SNS signs');
        const signature = sign(
          version === '1' ? 'sha1' : 'sha256',
          Buffer.from(canonical, 'utf8'),
          options.privateKey ?? privateKey,
        ).toString('base64');
        return {
          ...message,
          SignatureVersion: version,
          Signature: signature,
          SigningCertURL: options.certUrl ?? TEST_CERT_URL,
        };
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const TEST_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:ses-feedback';

export function snsNotification(message: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'Notification',
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: TEST_TOPIC_ARN,
    Message: message,
    Timestamp: '2026-01-15T10:30:01.000Z',
    UnsubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x',
    ...overrides,
  };
}

export function snsSubscriptionConfirmation(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'SubscriptionConfirmation',
    MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
    Token:
      '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736',
    TopicArn: TEST_TOPIC_ARN,
    Message: `You have chosen to subscribe to the topic ${TEST_TOPIC_ARN}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TEST_TOPIC_ARN}&Token=2336412f37`,
    Timestamp: '2026-01-15T10:30:00.000Z',
    ...overrides,
  };
}
