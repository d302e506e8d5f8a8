/**
 * The one way Keyport's commands (the `keyport` CLI, the provider, the mock, `npm start`,
 * the web shell, the package build) read their options: strict `parseArgs`, `--help`
 * prints the usage, and a bad option ends the process with the message and the usage
 * (exit 2) instead of a stack trace.
 *
 * (The Electron main process is the one exception: Chromium adds switches of its own to
 * argv, so it reads the app's options leniently; see `parseAppOptions`.)
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * A mistake in how a command was called. Thrown from deep inside a command (a missing
 * argument), it ends the process like a bad option does: `reportUsageError` prints it
 * with the usage and sets exit code 2.
 */
export class UsageError extends Error {}

export interface CommandLine<V> {
  values: V;
  /** Arguments that are not options (only when `positionals: true`). */
  positionals: string[];
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

export interface ReadCommandLineOptions {
  args?: string[];
  /** Accept arguments besides options (a command and its operands). */
  positionals?: boolean;
}

/** Parsed options, or null when `--help` was asked for (the usage is printed). */
export function readCommandLine<const O extends Options>(
  program: string,
  usage: string,
  options: O,
  { args = process.argv.slice(2), positionals: allowPositionals = false }: ReadCommandLineOptions = {},
): CommandLine<ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values']> | null {
  const fail = (message: string): never => {
    reportUsageError(program, usage, new UsageError(message));
    process.exit(2);
  };
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
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
  return { values, positionals, fail, wholeNumber };
}

/** Print a usage error the way a bad option is printed, and make the exit code 2. */
export function reportUsageError(program: string, usage: string, error: UsageError): void {
  console.error(`${program}: ${error.message}\n\n${usage}`);
  process.exitCode = 2;
}
