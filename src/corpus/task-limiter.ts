/**
 * A tiny bound on concurrent async work: at most `limit` tasks run at once, the first failure is kept and stops new
 * tasks, and `settle()` waits for everything started (so nothing keeps writing after an error propagates).
 *
 *   const limiter = new TaskLimiter(32);
 *   try { for (const c of chunks) await limiter.add(() => store.write(c)); } finally { await limiter.settle(); }
 *   limiter.throwIfFailed();
 */
export class TaskLimiter {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  constructor(private readonly limit: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    this.throwIfFailed();
    const p: Promise<void> = task().then(
      () => void this.running.delete(p),
      (error: unknown) => {
        this.running.delete(p);
        this.failure ??= { error };
      },
    );
    this.running.add(p);
  }

  /** Wait for every started task (never throws). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
