/** Where the webhook's replay tokens live: the shared store's items (DynamoDB in AWS, a map in tests). */
export interface ReplayItemStore {
  /** Conditional put: true when the item was absent or expired (now claimed until `untilMs`). */
  put(pk: string, nowMs: number, untilMs: number): Promise<boolean>;
  delete(pk: string): Promise<void>;
}
