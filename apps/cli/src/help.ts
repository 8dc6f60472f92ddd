/**
 * Help text generated from the flag tables: `nerve --help` lists the
 * commands, `nerve <command> --help` every flag with its default.
 */
import { COMMANDS } from './commands.js';
import { type CommandDef, type FlagDef, rangeText } from './flags.js';

const PAD = 28;

function details(f: FlagDef, dflt: unknown): string {
  const parts: string[] = [];
  if (f.kind === 'choice') parts.push(`one of ${(f.values ?? []).join(' | ')}`);
  if (f.kind === 'int' || f.kind === 'number') parts.push(rangeText(f));
  const d = f.defaultText ?? (dflt === undefined || dflt === false ? undefined : String(dflt));
  if (d !== undefined) parts.push(`default: ${d}`);
  return parts.join('; ');
}

/**
 * `nerve <command> --help`: every flag with its description, allowed values
 * or range, and default (`defaults` overrides the table's, for commands
 * whose parser is elsewhere).
 */
export function formatHelp(def: CommandDef, defaults: Record<string, unknown> = {}): string {
  const lines = [`usage: nerve ${def.name} [flags]`, '', def.summary, '', 'flags:'];
  for (const f of def.flags) {
    const head = `  --${f.name}${f.placeholder ? ` ${f.placeholder}` : ''}`;
    lines.push(
      head.length < PAD
        ? `${head.padEnd(PAD)}${f.description}`
        : `${head}\n${' '.repeat(PAD)}${f.description}`,
    );
    const more = details(f, f.name in defaults ? defaults[f.name] : f.default);
    if (more) lines.push(`${' '.repeat(PAD)}(${more})`);
  }
  lines.push(`${'  -h, --help'.padEnd(PAD)}this help`);
  if (def.notes?.length) lines.push('', ...def.notes);
  return lines.join('\n');
}

/** `nerve --help`: the commands and where to find their flags. */
export function formatUsage(): string {
  const lines = ['usage: nerve <command> [flags]', '', 'commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(10)}${c.summary}`);
  lines.push(
    `  ${'version'.padEnd(10)}print the version (also --version)`,
    '',
    "Run 'nerve <command> --help' for the command's flags and their defaults.",
  );
  return lines.join('\n');
}

/** The short hint printed after a usage error. */
export function usageHint(command?: string): string {
  return command === undefined
    ? "usage: nerve <command> [flags]; run 'nerve --help' for the commands"
    : `usage: nerve ${command} [flags]; run 'nerve ${command} --help' for the flags`;
}
