/**
 * Lines for stdout, written together once per turn of the event loop. stdout on a pipe is
 * synchronous on Linux, so writing each task event's line as it happens costs a blocking write
 * between receiving a task and answering it; queued, the lines of a turn go out in one write
 * after the turn's replies have been sent (the NATS client sends within the turn). Call
 * {@link LineWriter.flush} before the process exits.
 *
 * @example
 * const out = new LineWriter((chunk) => process.stdout.write(chunk));
 * out.line('{"type":"sim.ready"}');
 * out.flush();
 */
export class LineWriter {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly write: (chunk: string) => void) {}

  /** Queues one line (without its newline); it is written at the end of this turn at the latest. */
  line(text: string): void {
    this.pending.push(text);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Writes every queued line now, in order. */
  flush(): void {
    if (this.pending.length === 0) return;
    const chunk = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.write(chunk);
  }
}
