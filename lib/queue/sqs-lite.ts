import { createHash, createHmac } from 'node:crypto';

/**
 * The three SQS calls a Lambda of ours makes on its hot path — SendMessageBatch, DeleteMessage,
 * ChangeMessageVisibility — over Node's `fetch`, in SQS's JSON protocol, signed with Signature Version 4.
 * The AWS SDK client did the same through ~200 KB of code (middleware stack, protocol codecs, credential
 * chain, config loaders) that every cold start compiled and ran before the first delete; this is what is
 * left of it for three operations. The SDK stays for everything else (CLI, tests, GetQueueAttributes) and
 * for a Lambda whose credentials are not plain environment keys.
 *
 * - Protocol: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-faqs.html
 *   (`POST /`, `X-Amz-Target: AmazonSQS.<Action>`, `Content-Type: application/x-amz-json-1.0`).
 * - Signing: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * - Errors: a JSON body with `__type` (`…#QueueDoesNotExist`) and `message`; the error's `name` is the part
 *   after `#`, as the SDK names its errors.
 * - Retries: like the SDK's standard mode — up to 3 attempts on throttling, 5xx and network errors, with
 *   exponential backoff and full jitter (base 100 ms):
 *   https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface LiteSqsOptions {
  region: string;
  credentials: AwsCredentials;
  /** `AWS_ENDPOINT_URL_SQS` (an emulator); default the regional endpoint. */
  endpoint?: string | undefined;
  /** Attempts per call, the first included (default 3, as the SDK's standard mode). */
  maxAttempts?: number;
  /** Injected for tests: time (signing date) and jitter. */
  clock?: () => number;
  random?: () => number;
  fetch?: typeof fetch;
}

export interface LiteSendEntry {
  Id: string;
  MessageBody: string;
  DelaySeconds?: number | undefined;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string | undefined }> | undefined;
}

export interface LiteSendResult {
  Successful?: { Id: string; MessageId?: string }[];
  Failed?: { Id: string; SenderFault?: boolean; Code?: string; Message?: string }[];
}

/** An SQS error answer, named as the SDK names it (`QueueDoesNotExist`, `RequestThrottled`, …). */
export class SqsServiceError extends Error {
  constructor(
    name: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = name;
  }
}

const RETRYABLE_CODES = new Set(['RequestThrottled', 'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ServiceUnavailable', 'InternalError', 'InternalFailure']);

export class LiteSqsClient {
  /** Tells this client from an AWS SDK `SQSClient` (lib/queue/sqs.ts dispatches on it). */
  readonly lite = true;
  private readonly url: URL;
  private readonly maxAttempts: number;

  constructor(private readonly options: LiteSqsOptions) {
    const suffix = options.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    this.url = new URL(options.endpoint ?? `https://sqs.${options.region}.${suffix}`);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  }

  sendMessageBatch(input: { QueueUrl: string; Entries: LiteSendEntry[] }): Promise<LiteSendResult> {
    return this.call('SendMessageBatch', input) as Promise<LiteSendResult>;
  }

  async deleteMessage(input: { QueueUrl: string; ReceiptHandle: string }): Promise<void> {
    await this.call('DeleteMessage', input);
  }

  async changeMessageVisibility(input: { QueueUrl: string; ReceiptHandle: string; VisibilityTimeout: number }): Promise<void> {
    await this.call('ChangeMessageVisibility', input);
  }

  /** Nothing to release: connections belong to Node's global fetch pool. */
  destroy(): void {}

  private async call(action: string, input: object): Promise<unknown> {
    const body = JSON.stringify(input);
    const random = this.options.random ?? Math.random;
    for (let attempt = 1; ; attempt += 1) {
      let retryable: boolean;
      let failure: unknown;
      try {
        const response = await (this.options.fetch ?? fetch)(this.url, { method: 'POST', headers: this.sign(action, body), body });
        const text = await response.text();
        if (response.ok) return text === '' ? {} : (JSON.parse(text) as unknown);
        failure = serviceError(response.status, text);
        retryable = response.status >= 500 || response.status === 429 || RETRYABLE_CODES.has((failure as SqsServiceError).name);
      } catch (error) {
        // No answer (reset, refused, DNS): the request may or may not have arrived; every action here is
        // safe to repeat (a repeated delete or visibility change is a no-op; a repeated batch send is what
        // the SDK's retry would do too).
        failure = error;
        retryable = true;
      }
      if (!retryable || attempt >= this.maxAttempts) throw failure;
      await new Promise((r) => setTimeout(r, Math.floor(random() * Math.min(20_000, 100 * 2 ** (attempt - 1)))));
    }
  }

  /** The request headers, Authorization included (SigV4, service `sqs`). */
  sign(action: string, body: string): Record<string, string> {
    const { credentials, region } = this.options;
    const amzDate = new Date((this.options.clock ?? Date.now)()).toISOString().replace(/[:-]|\.\d{3}/gu, '');
    const day = amzDate.slice(0, 8);
    const headers: Record<string, string> = {
      'content-type': 'application/x-amz-json-1.0',
      host: this.url.host,
      'x-amz-date': amzDate,
      'x-amz-target': `AmazonSQS.${action}`,
      ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
    };
    const names = Object.keys(headers).sort();
    const signedHeaders = names.join(';');
    const canonicalRequest = ['POST', this.url.pathname || '/', '', ...names.map((n) => `${n}:${headers[n]!.trim()}`), '', signedHeaders, sha256Hex(body)].join('\n');
    const scope = `${day}/${region}/sqs/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    let key: Buffer = hmac(`AWS4${credentials.secretAccessKey}`, day);
    for (const part of [region, 'sqs', 'aws4_request']) key = hmac(key, part);
    const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function serviceError(status: number, text: string): SqsServiceError {
  let type = '';
  let message = '';
  try {
    const parsed = JSON.parse(text) as { __type?: unknown; message?: unknown; Message?: unknown };
    type = typeof parsed.__type === 'string' ? parsed.__type : '';
    message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.Message === 'string' ? parsed.Message : '';
  } catch {
    // Not JSON (a proxy's page): the status is all we know.
  }
  const name = type.split('#').pop() || (status >= 500 ? 'ServiceUnavailable' : `Http${status}`);
  return new SqsServiceError(name, message.slice(0, 300) || `SQS answered ${status}`, status);
}
