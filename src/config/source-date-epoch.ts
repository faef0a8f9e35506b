import { JailError } from '../errors.js';

/**
 * SOURCE_DATE_EPOCH (reproducible-builds.org): the one place jailbuild reads and checks it. Undefined
 * when unset or empty; a value that is not a whole number of seconds is a usage error.
 */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.SOURCE_DATE_EPOCH;
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new JailError('USAGE', `SOURCE_DATE_EPOCH=${value}: must be a whole number of seconds`, { field: 'SOURCE_DATE_EPOCH' });
  }
  return Number(value);
}
