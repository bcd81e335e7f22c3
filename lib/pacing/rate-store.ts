import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { conditionFailureItem, isConditionFailure, numberValue } from '../ledger/attribute-values.js';
import type { Lane } from './budget.js';
import type { CapState } from './parallel-cap.js';
import {
  CAP_STEP_BUMP,
  callEntry,
  capEntry,
  RATE_ITEM_SK,
  type RateItem,
  RESET_VERSION,
  type StoredCall,
} from './rate-item.js';

type Item = Record<string, AttributeValue>;

/** A claim: calls added to the item on the condition that it still leaves them room. */
export interface ClaimWrite {
  /** The item the claim was planned on. */
  item: RateItem;
  /** Calls the item allowed to start as planned (ours included), counting every later claim as in flight. */
  room: number;
  mine: readonly StoredCall[];
  /** Our finished calls whose ends the item does not show yet: written with the claim, saving a write each. */
  ends: readonly StoredCall[];
  /**
   * Of `ends`, the calls our new ones replace (`room` counts no cap for them): the claim holds only while each is
   * still in the item without an end, so that no container can have counted its slot free.
   */
  replaced?: readonly string[];
  /** Entries that no longer bound anything (or were not trusted). */
  drop: readonly string[];
  lane: Lane;
  /** A raised parallel cap to store with the claim. */
  cap?: CapState | undefined;
  expiresAt: number;
}

/** A write's outcome, with the item as DynamoDB returned it (after a success; as it is after a failure, when given). */
export interface WriteOutcome {
  ok: boolean;
  item: Item | undefined;
}

/**
 * Reads and writes the rate item (`rate-item.ts`), nothing else: every decision is the planner's. The SDK is
 * loaded at the first request.
 */
export class RateStore {
  private commands: typeof import('@aws-sdk/client-dynamodb') | undefined;
  private readonly key: Item;

  constructor(
    private readonly dynamo: Pick<DynamoDBClient, 'send'>,
    private readonly table: string,
    account = 'hood',
  ) {
    this.key = { pk: { S: `rate#${account}` }, sk: { S: RATE_ITEM_SK } };
  }

  private async sdk(): Promise<typeof import('@aws-sdk/client-dynamodb')> {
    this.commands ??= await import('@aws-sdk/client-dynamodb');
    return this.commands;
  }

  /** The item as it is (strongly consistent), or undefined when there is none. */
  async read(): Promise<Item | undefined> {
    const { GetItemCommand } = await this.sdk();
    return (await this.dynamo.send(new GetItemCommand({ TableName: this.table, Key: this.key, ConsistentRead: true })))
      .Item;
  }

  /**
   * Claim: add our calls if, since the item was read, other containers claimed no more calls than the room
   * left beside ours (`v` counts the calls claimed): their calls then count as in flight, never ending, within
   * that room — the most cautious view of them — so ours keep every window and the cap. Claims that fit the
   * room together all succeed. An end written meanwhile does not conflict: it only makes the view we planned on
   * the more cautious one. A missing item is created; a corrupt one replaced, if it is still as read.
   */
  async claim(w: ClaimWrite): Promise<WriteOutcome> {
    if (!w.item.exists || w.item.corrupt) return this.replace(w);
    const { UpdateItemCommand } = await this.sdk();
    const names: Record<string, string> = { '#c': 'c', '#v': 'v', '#x': 'expiresAt' };
    const values: Record<string, AttributeValue> = {
      ':v': numberValue(w.item.version + Math.max(0, w.room - w.mine.length)),
      ':m': numberValue(w.mine.length),
      ':x': numberValue(w.expiresAt),
    };
    const sets: string[] = [];
    [...w.mine, ...w.ends].forEach((call, i) => {
      names[`#n${i}`] = call.id;
      values[`:n${i}`] = callEntry(call);
      sets.push(`#c.#n${i} = :n${i}`);
    });
    sets.push('#v = #v + :m', '#x = :x');
    if (w.lane === 'live') {
      // A live call got its slot: bulk may use what is free again (a live caller still waiting marks it anew).
      names['#lw'] = 'lw';
      values[':zero'] = { N: '0' };
      sets.push('#lw = :zero');
    }
    if (w.cap) {
      names['#pc'] = 'pc';
      values[':pc'] = capEntry(w.cap);
      sets.push('#pc = :pc');
    }
    for (const [i, id] of w.drop.entries()) names[`#d${i}`] = id;
    const remove = w.drop.length > 0 ? ` REMOVE ${w.drop.map((_, i) => `#c.#d${i}`).join(', ')}` : '';
    const conditions = ['#v <= :v'];
    for (const [i, id] of (w.replaced ?? []).entries()) {
      names[`#r${i}`] = id;
      names['#e'] = 'e';
      conditions.push(`attribute_exists(#c.#r${i}) AND attribute_not_exists(#c.#r${i}.#e)`);
    }
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.table,
        Key: this.key,
        UpdateExpression: `SET ${sets.join(', ')}${remove}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        // The item after our claim, free of read capacity: the next claim may need no read.
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  }

  /** The first claim on a missing item, or a claim that replaces a corrupt item still as it was read. */
  private async replace(w: ClaimWrite): Promise<WriteOutcome> {
    const { PutItemCommand } = await this.sdk();
    const dropped = new Set(w.drop);
    const ended = new Map(w.ends.map((c) => [c.id, c]));
    const calls = [...w.item.calls.filter((c) => !dropped.has(c.id)).map((c) => ended.get(c.id) ?? c), ...w.mine];
    const version = (w.item.exists ? RESET_VERSION : 0) + w.mine.length;
    const item: Item = {
      ...this.key,
      v: numberValue(version),
      c: { M: Object.fromEntries(calls.map((call) => [call.id, callEntry(call)])) },
      lw: numberValue(w.lane === 'live' ? 0 : Math.ceil(w.item.liveWaitUntil)),
      expiresAt: numberValue(w.expiresAt),
    };
    if (w.cap) item.pc = capEntry(w.cap);
    const condition = !w.item.exists
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : w.item.seen === undefined
        ? {
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#v)',
            ExpressionAttributeNames: { '#v': 'v' },
          }
        : {
            ConditionExpression: '#v = :seen',
            ExpressionAttributeNames: { '#v': 'v' },
            ExpressionAttributeValues: { ':seen': w.item.seen },
          };
    const out = await this.conditional(
      new PutItemCommand({
        TableName: this.table,
        Item: item,
        ...condition,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return out.ok ? { ok: true, item } : out;
  }

  /**
   * Calls' ends, in one write (when no claim of ours is about to carry them). Only into entries that are still
   * there: a trimmed call no longer bounds anything, and the write fails if any is gone (then write them one by
   * one, `writeEnd`). The legacy form (`c.<id>.e`), which containers of every release read.
   */
  async writeEnds(calls: readonly StoredCall[]): Promise<WriteOutcome> {
    const { UpdateItemCommand } = await this.sdk();
    const names: Record<string, string> = { '#c': 'c', '#e': 'e' };
    const values: Record<string, AttributeValue> = {};
    const sets: string[] = [];
    const exist: string[] = [];
    calls.forEach((call, i) => {
      names[`#n${i}`] = call.id;
      values[`:e${i}`] = numberValue(call.end!);
      sets.push(`#c.#n${i}.#e = :e${i}`);
      exist.push(`attribute_exists(#c.#n${i})`);
    });
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.table,
        Key: this.key,
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: exist.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
  }

  /** One call's end (see `writeEnds`). */
  writeEnd(call: StoredCall): Promise<WriteOutcome> {
    return this.writeEnds([call]);
  }

  /** A live caller waits for a slot until `until`: bulk callers stand back until then. */
  async markLiveWaiting(until: number): Promise<void> {
    const { UpdateItemCommand } = await this.sdk();
    await this.conditional(
      new UpdateItemCommand({
        TableName: this.table,
        Key: this.key,
        UpdateExpression: 'SET #lw = :u',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#lw) OR #lw < :u)',
        ExpressionAttributeNames: { '#lw': 'lw' },
        ExpressionAttributeValues: { ':u': numberValue(Math.ceil(until)) },
      }),
    );
  }

  /**
   * Hood answered `-1`: store the cap stepped back, for every container. `v` grows by `CAP_STEP_BUMP`, so a claim
   * planned on the item as it was (with the higher cap) fails its condition and is planned again.
   */
  async stepBack(cap: CapState, expiresAt: number): Promise<WriteOutcome> {
    const { UpdateItemCommand } = await this.sdk();
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.table,
        Key: this.key,
        UpdateExpression: 'SET #pc = :pc, #v = #v + :bump, #x = :x',
        // Only onto an item with a counter that can be added to (a corrupt one is replaced by the next claim).
        ConditionExpression: 'attribute_type(#v, :n)',
        ExpressionAttributeNames: { '#pc': 'pc', '#v': 'v', '#x': 'expiresAt' },
        ExpressionAttributeValues: {
          ':pc': capEntry(cap),
          ':bump': numberValue(CAP_STEP_BUMP),
          ':x': numberValue(expiresAt),
          ':n': { S: 'N' },
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
  }

  private async conditional(command: object): Promise<WriteOutcome> {
    try {
      const out = (await this.dynamo.send(command as never)) as { Attributes?: Item };
      return { ok: true, item: out.Attributes };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { ok: false, item: conditionFailureItem(error) };
    }
  }
}
