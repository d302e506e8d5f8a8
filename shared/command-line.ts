/**
 * The one way Keyport's commands (provider, mock, `npm start`, web shell) read their
 * options: strict `parseArgs`, `--help` prints the usage, and a bad option ends the
 * process with the message and the usage (exit 2) instead of a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandLine<V> {
  values: V;
  /** Report a bad option and exit 2. */
  fail(message: string): never;
  /** A whole-number option within bounds, or the fallback when it is not given. */
  wholeNumber(
    name: string,
    value: string | undefined,
    fallback: number,
    least?: number,
    most?: number,
  ): number;
}

/** Parsed options, or null when `--help` was asked for (the usage is printed). */
export function readCommandLine<const O extends Options>(
  program: string,
  usage: string,
  options: O,
  args: string[] = process.argv.slice(2),
): CommandLine<ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values']> | null {
  const fail = (message: string): never => {
    console.error(`${program}: ${message}\n\n${usage}`);
    process.exit(2);
  };
  let values;
  try {
    ({ values } = parseArgs({ args, options, strict: true }));
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  if ((values as { help?: unknown }).help === true) {
    console.log(usage);
    return null;
  }
  const wholeNumber = (
    name: string,
    value: string | undefined,
    fallback: number,
    least = 1,
    most = Infinity,
  ) => {
    if (value === undefined) return fallback;
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < least || number > most) {
      fail(
        `${name} must be a whole number from ${least}${most === Infinity ? ' up' : ` to ${most}`}, not "${value}"`,
      );
    }
    return number;
  };
  return { values, fail, wholeNumber };
}
