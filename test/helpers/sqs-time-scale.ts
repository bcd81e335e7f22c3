/**
 * Time-scaling of the SQS waits a consumer asks for, for the tests that run it against the real emulator:
 * a re-queued copy's `DelaySeconds` (a 401 holds work 15 s, a ledger outage backs off up to 60 s) and a
 * backoff's `VisibilityTimeout` become `seconds / scale`, rounded, but never 0 where the consumer asked for
 * a wait (SQS counts whole seconds). What is decided — kept, re-queued, dead-lettered, how often — does not
 * change; only the wall time between the steps does, as the tests' Hood windows (`10/100ms,150/6s`) do.
 *
 * The SDK speaks the AWS JSON protocol to SQS: the action is the `X-Amz-Target` header, the request a JSON
 * body (SendMessage, SendMessageBatch, ChangeMessageVisibility, ChangeMessageVisibilityBatch).
 */
export function scaledSeconds(seconds: number, scale: number): number {
  if (!(seconds > 0) || scale <= 1) return seconds;
  return Math.max(1, Math.round(seconds / scale));
}

type Json = Record<string, unknown>;

const FIELD: Record<string, 'DelaySeconds' | 'VisibilityTimeout'> = {
  SendMessage: 'DelaySeconds',
  SendMessageBatch: 'DelaySeconds',
  ChangeMessageVisibility: 'VisibilityTimeout',
  ChangeMessageVisibilityBatch: 'VisibilityTimeout',
};

/** The request body with its waits scaled; any other action, or a body that is not JSON, unchanged. */
export function scaleSqsSeconds(action: string, body: Buffer, scale: number): Buffer {
  const field = FIELD[action];
  if (!field || scale <= 1 || body.length === 0) return body;
  let request: Json;
  try {
    request = JSON.parse(body.toString('utf8')) as Json;
  } catch {
    return body;
  }
  const scaleOne = (target: Json) => {
    if (typeof target[field] === 'number') target[field] = scaledSeconds(target[field] as number, scale);
  };
  scaleOne(request);
  if (Array.isArray(request.Entries)) for (const entry of request.Entries as Json[]) scaleOne(entry);
  return Buffer.from(JSON.stringify(request), 'utf8');
}
