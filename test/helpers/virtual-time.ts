/**
 * A discrete-event clock for driving real async code (processBatch, pacers) through hours of virtual
 * time in milliseconds of real time. `sleep(ms)` schedules a wake-up; `run()` repeatedly lets every
 * pending promise settle (one macrotask turn) and then jumps to the earliest wake-up.
 * Like Node's timers, `sleep` rejects a non-integer or negative delay, so code under test that would
 * hand a fractional value to a real timer or signal fails here too.
 */
export class VirtualTime {
  now: number;
  private timers: { at: number; seq: number; wake: () => void }[] = [];
  private seq = 0;

  constructor(start = 1_700_000_000_000) {
    this.now = start;
  }

  readonly clock = (): number => this.now;

  readonly sleep = (ms: number): Promise<void> => {
    if (!Number.isInteger(ms) || ms < 0) {
      return Promise.reject(
        new RangeError(`The value of "delay" is out of range. It must be an integer. Received ${ms}`),
      );
    }
    return new Promise<void>((wake) => {
      this.timers.push({ at: this.now + ms, seq: this.seq++, wake });
    });
  };

  /** Run until `done()` is true or nothing is scheduled; returns whether `done()` held. */
  async run(done: () => boolean, maxSteps = 1_000_000): Promise<boolean> {
    for (let step = 0; step < maxSteps; step += 1) {
      await new Promise<void>((r) => setImmediate(r));
      if (done()) return true;
      if (this.timers.length === 0) return done();
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.now = Math.max(this.now, next.at);
      next.wake();
    }
    return done();
  }
}
