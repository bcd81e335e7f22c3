/**
 * The shared budget's tuning layers by name. None of them bears on the guarantee (the sliding rule and the
 * conditional claim); each saves DynamoDB requests or time, and docs/pacing.md names the benchmark row, with and
 * without it, that keeps it. `HOOD_PACING_TUNING_OFF` turns layers off to measure exactly that.
 */
export const TUNING_LAYERS = [
  /** One claim serves every caller that may start now (up to this container's share of the room). */
  'batch',
  /** At the cap: read when the oldest call is expected to end, then in small steps (off: every poll interval). */
  'poll-at-cap',
  /**
   * At the cap: wait for our own answer while a call of ours is in flight (containers can outnumber the cap) or read
   * at one of the others' expected ends (they cannot); read less after fruitless reads.
   */
  'poll-backoff',
  /** At our turn, claim on the item our last write returned, without reading it first. */
  'stale-view',
  /** The ends that cannot wait go out in one request, not one each. */
  'ends-one-write',
  /** Our own answer frees its slot for our next caller before the item shows the end. */
  'own-answer',
  /** Our answered call's end and the next call in one claim that no claim of another container can refuse for the cap. */
  'replace',
  /**
   * After claims lost to other containers, wait for a later window slot (one of the next few, at random) instead of
   * racing every container for the next one again.
   */
  'spread-turns',
] as const;

export type TuningLayer = (typeof TUNING_LAYERS)[number];

export function isTuningLayer(name: string): name is TuningLayer {
  return (TUNING_LAYERS as readonly string[]).includes(name);
}
