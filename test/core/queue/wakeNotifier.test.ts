import { describe, expect, it } from 'vitest';
import { NEW_TASK_CHANNEL } from '../../../src/core/queue/channels.js';
import { WakeNotifier } from '../../../src/core/queue/wakeNotifier.js';
import type { Db } from '../../../src/db/index.js';
import { quietLogger } from '../../helpers/db.js';

/** A Db whose notify() stays in flight until the test releases it. */
function fakeDb() {
  const sent: string[] = [];
  const pending: Array<() => void> = [];
  const db = {
    notify(channel: string) {
      sent.push(channel);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
  } as unknown as Db;
  const release = async () => {
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { db, sent, release };
}

describe('WakeNotifier', () => {
  it('sends one NOTIFY per burst, and one more for submits made while it was in flight', async () => {
    const { db, sent, release } = fakeDb();
    const notifier = new WakeNotifier(db, quietLogger);
    notifier.notify();
    expect(sent).toEqual([NEW_TASK_CHANNEL]);
    // Three submits commit while the first NOTIFY is in flight: they must not be lost …
    notifier.notify();
    notifier.notify();
    notifier.notify();
    expect(sent).toHaveLength(1);
    await release();
    // … and cost exactly one more NOTIFY, sent after the first returned.
    expect(sent).toHaveLength(2);
    await release();
    expect(sent).toHaveLength(2);
    notifier.notify();
    expect(sent).toHaveLength(3);
  });

  it('keeps notifying after a failed NOTIFY (workers also poll)', async () => {
    let calls = 0;
    const db = {
      notify() {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('connection lost')) : Promise.resolve();
      },
    } as unknown as Db;
    const notifier = new WakeNotifier(db, quietLogger);
    notifier.notify();
    await new Promise((r) => setImmediate(r));
    notifier.notify();
    expect(calls).toBe(2);
  });
});
