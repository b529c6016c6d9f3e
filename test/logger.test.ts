import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

function sink(isTTY: boolean) {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        text += chunk.toString();
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => text };
}

describe('logs', () => {
  it('are JSON lines when the destination is not a terminal', () => {
    const out = sink(false);
    createLogger('info', out.stream).info({ taskId: 't-1', password: 'hunter2' }, 'task started');
    const line = JSON.parse(out.text());
    expect(line).toMatchObject({ msg: 'task started', taskId: 't-1', password: '[redacted]', level: 30 });
  });

  it('are pretty, still redacted, on a terminal', async () => {
    const out = sink(true);
    createLogger('info', out.stream).info({ taskId: 't-1', password: 'hunter2' }, 'task started');
    await new Promise((r) => setTimeout(r, 50));
    expect(() => JSON.parse(out.text())).toThrow();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal colours.
    const plain = out.text().replace(/\u001b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/INFO.*task started/);
    expect(plain).toContain('taskId: "t-1"');
    expect(out.text()).not.toContain('hunter2');
  });
});
