import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs with its multi-line errors turned into one line that names the flag.
 * `command` names a subcommand other than `run` in the messages ("unknown flag for sample").
 */
export function parseFlags<O extends Options>(args: string[], options: O, command?: string) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? String(err);
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown)
      throw new UsageError(
        `${unknown[1]}: unknown flag${command ? ` for ${command} (see ${command} --help)` : ' (see --help)'}`,
      );
    const needsValue = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
    if (needsValue) throw new UsageError(`${needsValue[1]}: expected a value`);
    const ambiguous = /Option '(?:-\w, )?(--[\w-]+)(?: <value>)?' argument is ambiguous/.exec(message);
    if (ambiguous) {
      const given = args[args.indexOf(ambiguous[1]!) + 1];
      throw new UsageError(
        `${ambiguous[1]}: expected a value; a value starting with a dash is written ${ambiguous[1]}=${given ?? '-…'}`,
      );
    }
    throw new UsageError(command ? `${command}: ${message}` : message);
  }
}
