import { TtlSet } from '../ttl-set.js';

/**
 * Contacts this container created (or found already blocked) recently. A redelivered message — a
 * Lambda that timed out after Hood's 201, a duplicate SQS delivery, the same opt-out reported by two
 * providers — then costs no Hood call and cannot create the contact twice. Bounded in size and age (the
 * project's one TTL set) so memory stays flat under any backlog.
 */
export class RecentContacts {
  readonly #contacts: TtlSet;
  readonly #clock: () => number;

  constructor(maxEntries = 20_000, ttlMs = 6 * 60 * 60 * 1000, clock: () => number = () => Date.now()) {
    this.#contacts = new TtlSet({ maxEntries, ttlMs });
    this.#clock = clock;
  }

  has(contact: string): boolean {
    return this.#contacts.has(contact, this.#clock());
  }

  add(contact: string): void {
    this.#contacts.add(contact, this.#clock());
  }

  get size(): number {
    return this.#contacts.size;
  }
}
