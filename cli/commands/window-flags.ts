import { parseWindowBound, WindowError } from '../../db/queries/time-window.js';
import { UserError } from '../output.js';

/** `--from D --to D` as dates; a date-only `--to` includes that day. */
export function windowFlags(flags: { from?: string; to?: string }, names = { from: '--from', to: '--to' }): { from?: Date; to?: Date } {
  try {
    return {
      from: flags.from === undefined ? undefined : parseWindowBound(flags.from, names.from, false),
      to: flags.to === undefined ? undefined : parseWindowBound(flags.to, names.to, true),
    };
  } catch (error) {
    if (error instanceof WindowError) throw new UserError(error.message);
    throw error;
  }
}
