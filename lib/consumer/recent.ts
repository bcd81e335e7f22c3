/**
 * Contacts this container created (or found already blocked) recently. A redelivered message — a
 * Lambda that timed out after Hood's 201, a duplicate SQS delivery, the same opt-out reported by two
 * providers — then costs no Hood call and cannot create the contact twice. Bounded in size and age so
 * memory stays flat under any backlog.
 */
export class RecentContacts {
  private readonly entries = new Map<string, number>();
  constructor(
    private readonly maxEntries = 20_000,
    private readonly ttlMs = 6 * 60 * 60 * 1000,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  has(contact: string): boolean {
    const at = this.entries.get(contact);
    if (at === undefined) return false;
    if (this.clock() - at > this.ttlMs) {
      this.entries.delete(contact);
      return false;
    }
    return true;
  }

  add(contact: string): void {
    this.entries.delete(contact);
    this.entries.set(contact, this.clock());
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
