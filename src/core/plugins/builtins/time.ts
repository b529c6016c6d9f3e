import { refused } from '../actionError.js';
import type { PluginModule } from '../types.js';

/** True when `zone` is an IANA time zone this Node.js knows (Intl throws RangeError otherwise). */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** `time.now`: the current time, in UTC and optionally as a wall-clock time in a zone. */
export const timePlugin: PluginModule = {
  name: 'time',
  version: '1.0.0',
  actions: [
    {
      name: 'time.now',
      description: 'The current date and time (ISO 8601, UTC), optionally also in an IANA time zone.',
      parameters: {
        type: 'object',
        additionalProperties: false,
        properties: {
          timezone: { type: 'string', maxLength: 64, description: 'IANA zone, e.g. Europe/Berlin' },
        },
      },
      handler(_ctx, args) {
        const now = new Date();
        const timezone = args.timezone as string | undefined;
        if (timezone === undefined) return { iso: now.toISOString(), timezone: 'UTC' };
        if (!isTimeZone(timezone)) throw refused(`Unknown time zone "${timezone}": use an IANA name`);
        const local = new Intl.DateTimeFormat('sv-SE', {
          timeZone: timezone,
          dateStyle: 'short',
          timeStyle: 'medium',
        }).format(now);
        return { iso: now.toISOString(), timezone, local };
      },
    },
  ],
};
