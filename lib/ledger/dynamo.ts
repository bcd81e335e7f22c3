import { randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { maskContact } from '../contact.js';
import { numberOf, numberValue, isConditionFailure, textOf, textValue } from './attribute-values.js';
import { createDynamoClient } from './client.js';
import {
  CONTACT_PREFIX,
  DAY_MS,
  HISTORY_FORMAT,
  HISTORY_SK_PREFIX,
  historySk,
  LedgerKeys,
  SOFT_BOUNCE_SK_PREFIX,
  STATE_SK,
  statusOf,
  storableEvent,
  TOKEN_SK,
} from './keys.js';
import {
  type BlockedMark,
  type ClaimResult,
  type Ledger,
  type LedgerBlockedEntry,
  type LedgerEvent,
  type LedgerStory,
  LedgerUnavailableError,
} from './types.js';

export interface DynamoLedgerOptions {
  table: string;
  hashKey: string | Buffer;
  blockedDays: number;
  historyDays: number;
  client?: DynamoDBClient;
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  clock?: () => number;
}

type Item = Record<string, AttributeValue>;

// Marshalling shared with the rate item (`attribute-values.ts`): the ledger stores whole numbers only.
const S = textValue;
const N = (value: number): AttributeValue => numberValue(Math.floor(value));
const num = numberOf;
const text = textOf;
const epochSeconds = (ms: number) => Math.ceil(ms / 1000);

/**
 * The ledger on DynamoDB. One table, `pk` (S) + `sk` (S), TTL attribute `expiresAt` (epoch seconds):
 *
 * | pk | sk | attributes |
 * |---|---|---|
 * | `c#<hmac>` | `state` | masked, leaseUntil, leaseOwner, blockedAt, hoodId — no TTL: a block is never forgotten by time |
 * | `c#<hmac>` | `h#<ms>#<rand>` | at, source, reason, outcome, eventId? (`e#…`), v, expiresAt (history days) |
 * | `c#<hmac>` | `sb#<hmac of event>` | at, expiresAt (the policy's period) — one per sent message |
 * | `r#<hmac>` | `token` | until, expiresAt — one-time values of the webhook ingress |
 *
 * Claims are conditional writes, so two consumers can never both hold a contact: DynamoDB evaluates the
 * condition and the write atomically for one item
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
 * TTL deletes expired items only eventually, typically within days
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html), so every read
 * that depends on time compares the stored times itself instead of trusting that expired items are gone.
 * Any error but a failed condition becomes `LedgerUnavailableError`: the caller retries, never drops.
 * Every string is keyed or free of contacts: history goes through `storableEvent` (keys.ts).
 */
export class DynamoLedger implements Ledger {
  readonly kind = 'dynamodb' as const;
  readonly #table: string;
  readonly #keys: LedgerKeys;
  readonly #client: DynamoDBClient;
  readonly #ownClient: boolean;
  readonly #clock: () => number;
  readonly #blockedMs: number;
  readonly #historyMs: number;
  /** Lease owner per contact key claimed by this instance, so a release never frees another's lease. */
  readonly #owners = new Map<string, string>();

  constructor(options: DynamoLedgerOptions) {
    this.#table = options.table;
    this.#keys = new LedgerKeys(options.hashKey);
    this.#ownClient = options.client === undefined;
    this.#client =
      options.client ??
      createDynamoClient({
        region: options.region,
        endpoint: options.endpoint,
        localCredentials: options.credentials,
        // An outage must cost a record seconds, not the invocation: two tries, short timeouts; the
        // consumer re-queues what the ledger could not decide.
        maxAttempts: 2,
        timeouts: { connectionMs: 1000, requestMs: 3000 },
      });
    this.#clock = options.clock ?? (() => Date.now());
    this.#blockedMs = options.blockedDays * DAY_MS;
    this.#historyMs = options.historyDays * DAY_MS;
  }

  async #send<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw new LedgerUnavailableError(operation, error);
    }
  }

  async #state(pk: string): Promise<Item | undefined> {
    const out = await this.#send('read', () =>
      this.#client.send(
        new GetItemCommand({ TableName: this.#table, Key: { pk: S(pk), sk: S(STATE_SK) }, ConsistentRead: true }),
      ),
    );
    return out.Item;
  }

  async claim(contact: string, leaseMs: number): Promise<ClaimResult> {
    const [pk, ...previous] = this.#keys.contactKeys(contact) as [string, ...string[]];
    // Blocked under a key of an earlier canonical form (an IDN domain as its U-label): still blocked.
    for (const old of previous) {
      const item = await this.#state(old);
      const blockedAt = num(item?.blockedAt);
      if (blockedAt !== undefined && blockedAt > this.#clock() - this.#blockedMs) {
        return { kind: 'blocked', hoodId: text(item?.hoodId), blockedAt };
      }
    }
    for (let round = 0; round < 3; round += 1) {
      const now = this.#clock();
      const owner = randomBytes(9).toString('base64url');
      try {
        await this.#send('claim', () =>
          this.#client.send(
            new UpdateItemCommand({
              TableName: this.#table,
              Key: { pk: S(pk), sk: S(STATE_SK) },
              UpdateExpression: 'SET leaseUntil = :lease, leaseOwner = :owner, masked = :masked',
              ConditionExpression:
                'attribute_not_exists(pk) OR ((attribute_not_exists(leaseUntil) OR leaseUntil <= :now) AND (attribute_not_exists(blockedAt) OR blockedAt <= :stale))',
              ExpressionAttributeValues: {
                ':lease': N(now + leaseMs),
                ':owner': S(owner),
                ':masked': S(maskContact(contact)),
                ':now': N(now),
                ':stale': N(now - this.#blockedMs),
              },
            }),
          ),
        );
        this.#owners.set(pk, owner);
        return { kind: 'claimed' };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      // Lost the condition: say why (a consistent read; the item may have changed since, then try again).
      const item = await this.#state(pk);
      const at = this.#clock();
      const blockedAt = num(item?.blockedAt);
      if (blockedAt !== undefined && blockedAt > at - this.#blockedMs)
        return { kind: 'blocked', hoodId: text(item?.hoodId), blockedAt };
      const leaseUntil = num(item?.leaseUntil);
      if (leaseUntil !== undefined && leaseUntil > at) return { kind: 'pending', leaseUntil };
    }
    return { kind: 'pending', leaseUntil: this.#clock() + 1000 };
  }

  async markBlocked(contact: string, mark: BlockedMark): Promise<void> {
    const pk = this.#keys.contact(contact);
    const now = this.#clock();
    const values: Item = { ':at': N(now), ':masked': S(maskContact(contact)) };
    let set = 'SET blockedAt = :at, masked = :masked';
    if (mark.hoodId !== undefined) {
      set += ', hoodId = :hoodId';
      values[':hoodId'] = S(mark.hoodId);
    }
    // Hood said blocked: that is the truth whoever holds the lease, so no condition here.
    await Promise.all([
      this.#send('mark blocked', () =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: { pk: S(pk), sk: S(STATE_SK) },
            // Hood's "already blocked" answer carries no id: an id recorded earlier stays.
            UpdateExpression: `${set} REMOVE leaseUntil, leaseOwner`,
            ExpressionAttributeValues: values,
          }),
        ),
      ),
      this.#putHistory(pk, contact, mark.event, now),
    ]);
    this.#owners.delete(pk);
  }

  async release(contact: string): Promise<void> {
    const pk = this.#keys.contact(contact);
    const owner = this.#owners.get(pk);
    if (owner === undefined) return;
    this.#owners.delete(pk);
    try {
      // Nothing else on the item: remove it, so a released claim leaves nothing behind.
      await this.#send('release', () =>
        this.#client.send(
          new DeleteItemCommand({
            TableName: this.#table,
            Key: { pk: S(pk), sk: S(STATE_SK) },
            ConditionExpression: 'leaseOwner = :owner AND attribute_not_exists(blockedAt)',
            ExpressionAttributeValues: { ':owner': S(owner) },
          }),
        ),
      );
      return;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    try {
      await this.#send('release', () =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: { pk: S(pk), sk: S(STATE_SK) },
            UpdateExpression: 'REMOVE leaseUntil, leaseOwner',
            ConditionExpression: 'leaseOwner = :owner',
            ExpressionAttributeValues: { ':owner': S(owner) },
          }),
        ),
      );
    } catch (error) {
      // Not ours any more (the lease ended and another consumer took it): nothing to give back.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async record(contact: string, event: LedgerEvent): Promise<void> {
    await this.#putHistory(this.#keys.contact(contact), contact, event, this.#clock());
  }

  async #putHistory(pk: string, contact: string | undefined, event: LedgerEvent, now: number): Promise<void> {
    const e = storableEvent(this.#keys, contact, event, now);
    const item: Item = {
      pk: S(pk),
      sk: S(historySk(Date.parse(e.at), randomBytes(6).toString('base64url'))),
      at: S(e.at),
      source: S(e.source),
      reason: S(e.reason),
      outcome: S(e.outcome),
      v: N(HISTORY_FORMAT),
      expiresAt: N(epochSeconds(now + this.#historyMs)),
    };
    if (e.eventId !== undefined) item.eventId = S(e.eventId);
    await this.#send('record', () => this.#client.send(new PutItemCommand({ TableName: this.#table, Item: item })));
  }

  async countSoftBounce(contact: string, eventKey: string, atMs: number, periodMs: number): Promise<number> {
    const pk = this.#keys.contact(contact);
    try {
      await this.#send('count soft bounce', () =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: {
              pk: S(pk),
              sk: S(this.#keys.softBounce(eventKey)),
              at: N(atMs),
              expiresAt: N(epochSeconds(atMs + periodMs)),
            },
            // The same sent message reported twice (a provider retry, a redelivery) counts once.
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    let count = 0;
    let start: Item | undefined;
    do {
      const out = await this.#send('count soft bounce', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            FilterExpression: '#at > :since AND #at <= :until',
            ExpressionAttributeNames: { '#at': 'at' },
            ExpressionAttributeValues: {
              ':pk': S(pk),
              ':prefix': S(SOFT_BOUNCE_SK_PREFIX),
              ':since': N(atMs - periodMs),
              ':until': N(atMs),
            },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      count += out.Count ?? out.Items?.length ?? 0;
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return count;
  }

  async #items(pk: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.#send('read', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': S(pk) },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  async forget(contact: string, event: LedgerEvent): Promise<boolean> {
    // Under every key it may be held by (an earlier canonical form too); one history line, under the current key.
    return this.#forget(this.#keys.contactKeys(contact), contact, event);
  }

  async forgetKey(key: string, event: LedgerEvent): Promise<boolean> {
    // Only contact keys: a token or rate item must never be touched through this door.
    if (!key.startsWith(CONTACT_PREFIX)) return false;
    return this.#forget([key], undefined, event);
  }

  contactKey(contact: string): string {
    return this.#keys.contact(contact);
  }

  contactKeys(contact: string): string[] {
    return this.#keys.contactKeys(contact);
  }

  eventKey(eventId: string): string {
    return this.#keys.eventId(eventId);
  }

  /**
   * A paginated Scan (each page at most 1 MB read, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html),
   * filtered to the `state` items that carry `blockedAt` and projected to what reconcile needs. It reads
   * (and bills) the whole table; the operator's role needs dynamodb:Scan, the functions' do not.
   */
  async *blockedContacts(options: { pageSize?: number } = {}): AsyncGenerator<LedgerBlockedEntry[]> {
    let start: Item | undefined;
    do {
      const out = await this.#send('scan', () =>
        this.#client.send(
          new ScanCommand({
            TableName: this.#table,
            FilterExpression: 'sk = :state AND begins_with(pk, :prefix) AND attribute_exists(blockedAt)',
            ProjectionExpression: 'pk, masked, hoodId, blockedAt',
            ExpressionAttributeValues: { ':state': S(STATE_SK), ':prefix': S(CONTACT_PREFIX) },
            ...(options.pageSize !== undefined ? { Limit: options.pageSize } : {}),
            ExclusiveStartKey: start,
          }),
        ),
      );
      const page: LedgerBlockedEntry[] = [];
      for (const item of out.Items ?? []) {
        const key = text(item.pk);
        const blockedAt = num(item.blockedAt);
        if (key === undefined || blockedAt === undefined) continue;
        const hoodId = text(item.hoodId);
        page.push({ key, masked: text(item.masked) ?? '***', blockedAt, ...(hoodId !== undefined ? { hoodId } : {}) });
      }
      if (page.length > 0) yield page;
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
  }

  async #forget(pks: readonly string[], contact: string | undefined, event: LedgerEvent): Promise<boolean> {
    const items: Item[] = [];
    for (const pk of pks) items.push(...(await this.#items(pk)));
    if (items.length === 0) return false;
    // The blocked state and the soft-bounce count go (an admin unblocked the contact: old bounces must not
    // re-block it at the next one); the history stays.
    const counting = items.filter((i) => i.sk?.S === STATE_SK || i.sk?.S?.startsWith(SOFT_BOUNCE_SK_PREFIX));
    for (const item of counting) {
      await this.#send('forget', () =>
        this.#client.send(new DeleteItemCommand({ TableName: this.#table, Key: { pk: item.pk!, sk: item.sk! } })),
      );
    }
    await this.#putHistory(pks[0]!, contact, event, this.#clock());
    return true;
  }

  async why(contact: string): Promise<LedgerStory | undefined> {
    const [current, ...previous] = this.#keys.contactKeys(contact) as [string, ...string[]];
    const items = await this.#items(current);
    for (const pk of previous) items.push(...(await this.#items(pk)));
    const now = this.#clock();
    // The current key's state first; an earlier form's when only it says blocked.
    const states = items.filter((i) => i.sk?.S === STATE_SK);
    const blocked = (i: Item) => num(i.blockedAt) !== undefined;
    const mine = (i: Item) => i.pk?.S === current;
    const state = states.find((i) => mine(i) && blocked(i)) ?? states.find(blocked) ?? states.find(mine);
    const events: LedgerEvent[] = items
      .filter((i) => i.sk?.S?.startsWith(HISTORY_SK_PREFIX) && (num(i.expiresAt) ?? Infinity) * 1000 > now)
      .sort((a, b) => (a.sk!.S! < b.sk!.S! ? -1 : 1))
      .map((i) => this.#storedEvent(i, contact, now));
    const blockedAt = num(state?.blockedAt);
    const leaseUntil = num(state?.leaseUntil);
    const live =
      events.length > 0 ||
      blockedAt !== undefined ||
      (leaseUntil !== undefined && leaseUntil > now) ||
      items.some((i) => i.sk?.S?.startsWith(SOFT_BOUNCE_SK_PREFIX));
    if (!live) return undefined;
    const story: LedgerStory = {
      contact: text(state?.masked) ?? maskContact(contact),
      status: statusOf({ blockedAt, leaseUntil }, events, now),
      events,
    };
    const hoodId = text(state?.hoodId);
    if (hoodId !== undefined && blockedAt !== undefined) story.hoodId = hoodId;
    return story;
  }

  /** A history item as `why` shows it: as stored, or (written before `v`) through `storableEvent` now. */
  #storedEvent(item: Item, contact: string | undefined, now: number): LedgerEvent {
    const e: LedgerEvent = {
      at: text(item.at) ?? '',
      source: text(item.source) ?? '',
      reason: text(item.reason) ?? '',
      outcome: text(item.outcome) ?? '',
    };
    const eventId = text(item.eventId);
    if (eventId !== undefined) e.eventId = eventId;
    return num(item.v) === HISTORY_FORMAT ? e : storableEvent(this.#keys, contact, e, now);
  }

  /**
   * Rewrites the history items written before `v` (issue 19: clear event ids, unchecked sources) through
   * `storableEvent`: a paginated Scan of the whole table, then one conditional update per old item (a run
   * that stops part-way, or two at once, do no harm). Without the contact (the key cannot be turned back
   * into it), a label is kept only when it is plainly not a contact. Counts per page.
   */
  async *rekeyHistory(options: { pageSize?: number } = {}): AsyncGenerator<{ scanned: number; rewritten: number }> {
    let start: Item | undefined;
    do {
      const out = await this.#send('scan', () =>
        this.#client.send(
          new ScanCommand({
            TableName: this.#table,
            FilterExpression: 'begins_with(pk, :prefix) AND begins_with(sk, :history) AND attribute_not_exists(#v)',
            ExpressionAttributeNames: { '#v': 'v' },
            ExpressionAttributeValues: { ':prefix': S(CONTACT_PREFIX), ':history': S(HISTORY_SK_PREFIX) },
            ...(options.pageSize !== undefined ? { Limit: options.pageSize } : {}),
            ExclusiveStartKey: start,
          }),
        ),
      );
      let rewritten = 0;
      for (const item of out.Items ?? []) {
        const e = this.#storedEvent(item, undefined, this.#clock());
        const values: Item = {
          ':at': S(e.at),
          ':source': S(e.source),
          ':reason': S(e.reason),
          ':outcome': S(e.outcome),
          ':v': N(HISTORY_FORMAT),
        };
        const names: Record<string, string> = {
          '#at': 'at',
          '#source': 'source',
          '#reason': 'reason',
          '#outcome': 'outcome',
          '#v': 'v',
        };
        let set = 'SET #at = :at, #source = :source, #reason = :reason, #outcome = :outcome, #v = :v';
        if (e.eventId !== undefined) {
          set += ', #eventId = :eventId';
          names['#eventId'] = 'eventId';
          values[':eventId'] = S(e.eventId);
        }
        try {
          await this.#send('rekey', () =>
            this.#client.send(
              new UpdateItemCommand({
                TableName: this.#table,
                Key: { pk: item.pk!, sk: item.sk! },
                UpdateExpression: set,
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#v)',
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
              }),
            ),
          );
          rewritten += 1;
        } catch (error) {
          // Rewritten meanwhile (another run), or expired and deleted: nothing to do.
          if (!isConditionFailure(error)) throw error;
        }
      }
      yield { scanned: out.ScannedCount ?? 0, rewritten };
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
  }

  async claimToken(key: string, ttlMs: number): Promise<boolean> {
    const now = this.#clock();
    try {
      await this.#send('claim token', () =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: {
              pk: S(this.#keys.token(key)),
              sk: S(TOKEN_SK),
              until: N(now + ttlMs),
              expiresAt: N(epochSeconds(now + ttlMs)),
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now',
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: { ':now': N(now) },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async releaseToken(key: string): Promise<void> {
    await this.#send('release token', () =>
      this.#client.send(
        new DeleteItemCommand({ TableName: this.#table, Key: { pk: S(this.#keys.token(key)), sk: S(TOKEN_SK) } }),
      ),
    );
  }

  close(): void {
    if (this.#ownClient) this.#client.destroy();
  }
}
