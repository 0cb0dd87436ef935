/**
 * Lets a run of synchronous work hold the event loop for at most `budgetMs` at a time: `turn()`,
 * called before each unit, pauses for one event-loop turn (setImmediate) once the current slice
 * has lasted that long. A slice is the time since the loop last had a turn; every worker sharing
 * one Pacer waits for its pause.
 *
 * Why discovery and the context store read files synchronously: their files are small (listings,
 * stats, bounded reads of a few KB), so a read takes tens of microseconds, while each awaited call
 * costs an event-loop turn. In a starting extension host a turn waits behind every other
 * extension's activation: 200 context files read one awaited call at a time took 70–400 ms there
 * (bench/README.md, "Extension activation"). But thousands of reads in a row would freeze the
 * host. A budget in time, not in units, lets a usual load (a few hundred files, tens of
 * milliseconds) finish in one go. 50 ms is the browsers' long-task threshold.
 */
export class Pacer {
  private sliceStart: number | undefined;
  private pause: Promise<void> | undefined;

  /** `now`: a clock in milliseconds (tests pass their own). */
  constructor(
    private readonly budgetMs = 50,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Call before each unit of work: resolves at once, or after an event-loop turn. */
  async turn(): Promise<void> {
    while (this.pause) {
      await this.pause;
    }
    const now = this.now();
    if (this.sliceStart === undefined) {
      this.sliceStart = now;
      // Runs at the loop's next turn, whoever gave it: the slice ends there.
      setImmediate(() => {
        this.sliceStart = undefined;
      });
    } else if (now - this.sliceStart >= this.budgetMs) {
      this.pause = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.pause = undefined;
      });
      await this.pause;
    }
  }
}
