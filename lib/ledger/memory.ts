import { randomBytes } from 'node:crypto';
import { maskContact } from '../contact.js';
import { DAY_MS, LedgerKeys, statusOf, storableEvent } from './keys.js';
import type { BlockedMark, ClaimResult, Ledger, LedgerBlockedEntry, LedgerEvent, LedgerStory } from './types.js';

interface Entry {
  masked: string;
  leaseUntil?: number;
  blockedAt?: number;
  hoodId?: string;
  history: { event: LedgerEvent; expiresAt: number }[];
  softBounces: Map<string, number>;
}

export interface MemoryLedgerOptions {
  /** Default: a random key per instance (nothing is persisted, so nothing needs to match). */
  hashKey?: string | Buffer;
  blockedDays: number;
  historyDays: number;
  clock?: () => number;
  /** Contacts kept (oldest evicted first) so memory stays flat under any backlog. */
  maxContacts?: number;
  maxTokens?: number;
}

/**
 * The ledger of a consumer deployed without `LEDGER_TABLE`: the same semantics as the DynamoDB ledger,
 * but per container and lost on a cold start (so it narrows duplicate Hood calls, it cannot exclude
 * them across containers). Keys are hashed here too, so a heap dump holds no more than the table would.
 */
export class MemoryLedger implements Ledger {
  readonly kind = 'memory' as const;
  readonly #keys: LedgerKeys;
  readonly #entries = new Map<string, Entry>();
  readonly #tokens = new Map<string, number>();
  readonly #clock: () => number;
  readonly #blockedMs: number;
  readonly #historyMs: number;
  readonly #maxContacts: number;
  readonly #maxTokens: number;

  constructor(options: MemoryLedgerOptions) {
    this.#keys = new LedgerKeys(options.hashKey ?? randomBytes(32));
    this.#clock = options.clock ?? (() => Date.now());
    this.#blockedMs = options.blockedDays * DAY_MS;
    this.#historyMs = options.historyDays * DAY_MS;
    this.#maxContacts = options.maxContacts ?? 50_000;
    this.#maxTokens = options.maxTokens ?? 50_000;
  }

  #entry(contact: string, create: true): Entry;
  #entry(contact: string, create: false): Entry | undefined;
  #entry(contact: string, create: boolean): Entry | undefined {
    const pk = this.#keys.contact(contact);
    let entry = this.#entries.get(pk);
    if (entry === undefined && create) {
      entry = { masked: maskContact(contact), history: [], softBounces: new Map() };
      this.#entries.set(pk, entry);
      if (this.#entries.size > this.#maxContacts) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
    }
    return entry;
  }

  async claim(contact: string, leaseMs: number): Promise<ClaimResult> {
    const now = this.#clock();
    const e = this.#entry(contact, true);
    if (e.blockedAt !== undefined && e.blockedAt > now - this.#blockedMs)
      return { kind: 'blocked', hoodId: e.hoodId, blockedAt: e.blockedAt };
    if (e.leaseUntil !== undefined && e.leaseUntil > now) return { kind: 'pending', leaseUntil: e.leaseUntil };
    e.leaseUntil = now + leaseMs;
    return { kind: 'claimed' };
  }

  async markBlocked(contact: string, mark: BlockedMark): Promise<void> {
    const e = this.#entry(contact, true);
    e.blockedAt = this.#clock();
    if (mark.hoodId !== undefined) e.hoodId = mark.hoodId;
    delete e.leaseUntil;
    this.#push(contact, e, mark.event);
  }

  async release(contact: string): Promise<void> {
    const e = this.#entry(contact, false);
    if (e) delete e.leaseUntil;
  }

  async record(contact: string, event: LedgerEvent): Promise<void> {
    this.#push(contact, this.#entry(contact, true), event);
  }

  #push(contact: string | undefined, e: Entry, event: LedgerEvent): void {
    const now = this.#clock();
    e.history = e.history.filter((h) => h.expiresAt > now);
    e.history.push({ event: storableEvent(this.#keys, contact, event, now), expiresAt: now + this.#historyMs });
  }

  async countSoftBounce(contact: string, eventKey: string, atMs: number, periodMs: number): Promise<number> {
    const e = this.#entry(contact, true);
    const sk = this.#keys.softBounce(eventKey);
    if (!e.softBounces.has(sk)) e.softBounces.set(sk, atMs);
    let n = 0;
    for (const [key, at] of e.softBounces) {
      if (at > atMs - periodMs && at <= atMs) n += 1;
      else if (at <= this.#clock() - periodMs) e.softBounces.delete(key);
    }
    return n;
  }

  async forget(contact: string, event: LedgerEvent): Promise<boolean> {
    return this.#forget(this.#entry(contact, false), contact, event);
  }

  async forgetKey(key: string, event: LedgerEvent): Promise<boolean> {
    return this.#forget(this.#entries.get(key), undefined, event);
  }

  #forget(e: Entry | undefined, contact: string | undefined, event: LedgerEvent): boolean {
    if (e === undefined) return false;
    delete e.blockedAt;
    delete e.hoodId;
    delete e.leaseUntil;
    e.softBounces.clear();
    this.#push(contact, e, event);
    return true;
  }

  contactKey(contact: string): string {
    return this.#keys.contact(contact);
  }

  /** The current key only: nothing here outlives a cold start, so no item has an earlier form's key. */
  contactKeys(contact: string): string[] {
    return [this.#keys.contact(contact)];
  }

  eventKey(eventId: string): string {
    return this.#keys.eventId(eventId);
  }

  async *blockedContacts(options: { pageSize?: number } = {}): AsyncGenerator<LedgerBlockedEntry[]> {
    const size = options.pageSize ?? 1000;
    let page: LedgerBlockedEntry[] = [];
    for (const [key, e] of this.#entries) {
      if (e.blockedAt === undefined) continue;
      page.push({
        key,
        masked: e.masked,
        blockedAt: e.blockedAt,
        ...(e.hoodId !== undefined ? { hoodId: e.hoodId } : {}),
      });
      if (page.length >= size) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  async why(contact: string): Promise<LedgerStory | undefined> {
    const e = this.#entry(contact, false);
    if (e === undefined) return undefined;
    const now = this.#clock();
    const events = e.history.filter((h) => h.expiresAt > now).map((h) => h.event);
    if (
      events.length === 0 &&
      e.blockedAt === undefined &&
      !(e.leaseUntil !== undefined && e.leaseUntil > now) &&
      e.softBounces.size === 0
    )
      return undefined;
    const story: LedgerStory = { contact: e.masked, status: statusOf(e, events, now), events };
    if (e.hoodId !== undefined && e.blockedAt !== undefined) story.hoodId = e.hoodId;
    return story;
  }

  async claimToken(key: string, ttlMs: number): Promise<boolean> {
    const now = this.#clock();
    const k = this.#keys.token(key);
    const until = this.#tokens.get(k);
    if (until !== undefined && until > now) return false;
    this.#tokens.delete(k);
    this.#tokens.set(k, now + ttlMs);
    for (const [oldest, exp] of this.#tokens) {
      if (this.#tokens.size <= this.#maxTokens && exp > now) break;
      this.#tokens.delete(oldest);
    }
    return true;
  }

  async releaseToken(key: string): Promise<void> {
    this.#tokens.delete(this.#keys.token(key));
  }

  close(): void {}
}
