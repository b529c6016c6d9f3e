import type { Task } from '../domain.js';

/** What a waiting task is doing, in one line: its state, the attempt, and why it is retrying. */
export function describeProgress(t: Task, now = Date.now()): string {
  const parts = [`${t.taskId}: ${t.status}`];
  if (t.retryCount > 0) parts.push(`attempt ${t.retryCount + 1} of ${t.maxRetries + 1}`);
  if (t.status === 'pending' && t.retryCount > 0 && t.error) {
    const inSeconds = Math.ceil((new Date(t.runAt).getTime() - now) / 1000);
    parts.push(
      `retrying after: ${t.error.replace(/\s+/g, ' ').trim()}${inSeconds > 0 ? ` (next try in ${inSeconds} s)` : ''}`,
    );
  }
  return parts.join(' · ');
}

type Out = Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean; columns?: number };

/**
 * Progress of `--wait` on stderr: on a terminal one line redrawn in place (cut to the width);
 * elsewhere (logs, pipes) one line per change.
 */
export class ProgressLine {
  private last = '';

  constructor(
    private readonly out: Out = process.stderr,
    private readonly quiet = false,
  ) {}

  update(task: Task): void {
    if (this.quiet) return;
    const text = describeProgress(task);
    if (text === this.last) return;
    this.last = text;
    if (!this.out.isTTY) {
      this.out.write(`${text}\n`);
      return;
    }
    const width = Math.max(20, (this.out.columns ?? 80) - 1);
    this.out.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
  }

  /** Ends the redrawn line so what follows starts on a fresh one. */
  done(): void {
    if (!this.quiet && this.out.isTTY && this.last) this.out.write('\n');
  }
}
