import { describe, expect, it } from 'vitest';
import { CronSpec, planFires } from '../../../src/core/schedules/cron.js';

const at = (iso: string) => new Date(iso);
const times = (plan: ReturnType<typeof planFires>) => plan.fires.map((f) => f.time.toISOString());

describe('cron expressions', () => {
  it('accepts 5 fields, or 6 with seconds first, and refuses the rest naming the field', () => {
    expect(new CronSpec('*/15 * * * *', 'UTC').next(at('2026-01-01T00:07:00Z'))?.toISOString()).toBe(
      '2026-01-01T00:15:00.000Z',
    );
    expect(new CronSpec('30 * * * * *', 'UTC').next(at('2026-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2026-01-01T00:00:30.000Z',
    );
    for (const bad of ['* * * *', '* * * * * * *', '@daily', '61 * * * *', 'a b c d e']) {
      expect(() => new CronSpec(bad, 'UTC'), bad).toThrow(
        expect.objectContaining({ statusCode: 400, details: { field: 'cron' } }),
      );
    }
    expect(() => new CronSpec('* * * * *', 'Nowhere/Town')).toThrow(
      expect.objectContaining({ details: { field: 'timezone' } }),
    );
  });

  it('reads the time in its zone, across a daylight-saving change', () => {
    const nine = new CronSpec('0 9 * * *', 'Europe/Berlin');
    // Berlin is UTC+1 on 28 March 2026 and UTC+2 from 29 March.
    expect(nine.next(at('2026-03-28T00:00:00Z'))?.toISOString()).toBe('2026-03-28T08:00:00.000Z');
    expect(nine.next(at('2026-03-29T00:00:00Z'))?.toISOString()).toBe('2026-03-29T07:00:00.000Z');
  });
});

describe('planFires', () => {
  const everySecond = new CronSpec('* * * * * *', 'UTC');

  it('fires every due time within the grace and moves on to the first time after now', () => {
    const plan = planFires(
      everySecond,
      at('2026-01-01T00:00:08Z'),
      at('2026-01-01T00:00:10.400Z'),
      'none',
      5_000,
    );
    expect(times(plan)).toEqual([
      '2026-01-01T00:00:08.000Z',
      '2026-01-01T00:00:09.000Z',
      '2026-01-01T00:00:10.000Z',
    ]);
    expect(plan.next?.toISOString()).toBe('2026-01-01T00:00:11.000Z');
  });

  it('after downtime fires none of the missed times with catchUp none, the latest once with latest', () => {
    const from = at('2026-01-01T00:00:00Z');
    const now = at('2026-01-01T00:01:00.200Z');
    expect(times(planFires(everySecond, from, now, 'none', 2_000))).toEqual([
      '2026-01-01T00:00:59.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
    const latest = planFires(everySecond, from, now, 'latest', 2_000);
    expect(latest.fires).toEqual([
      { time: at('2026-01-01T00:00:58.000Z'), catchUp: true },
      { time: at('2026-01-01T00:00:59.000Z'), catchUp: false },
      { time: at('2026-01-01T00:01:00.000Z'), catchUp: false },
    ]);
    const hourly = new CronSpec('0 * * * *', 'UTC');
    const missedHour = planFires(hourly, at('2026-01-01T01:00:00Z'), at('2026-01-01T05:30:00Z'), 'latest');
    expect(missedHour.fires).toEqual([{ time: at('2026-01-01T05:00:00Z'), catchUp: true }]);
    expect(missedHour.next?.toISOString()).toBe('2026-01-01T06:00:00.000Z');
  });
});
