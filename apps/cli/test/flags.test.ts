/**
 * Flags from the declarative tables: per-command help that lists every flag
 * with its default, --version, "did you mean", negative numbers with their
 * valid range, and the exit-code policy (2 + a hint for usage errors only).
 */
import { parsePredictArgs } from '../src/predict-command.js';
import { readFileSync } from 'node:fs';
import { INITIALIZER_NAMES } from '@nerve/init';
import { ACTIVATION_NAMES } from '@nerve/layers';
import { OPTIMIZER_NAMES } from '@nerve/optim';
import { describe, expect, it } from 'vitest';
import { parseEvalArgs, parseTrainArgs } from '../src/args.js';
import { parseBenchArgs } from '../src/bench-command.js';
import { COMMANDS, EVAL, FINETUNE, LR_FIND, TRAIN, TUNE } from '../src/commands.js';
import { parseExportArgs } from '../src/export-command.js';
import { parseFinetuneArgs } from '../src/finetune-command.js';
import { parseLabAllArgs } from '../src/lab-command.js';
import type { CommandDef, FlagDef } from '../src/flags.js';
import { parseLrFindArgs } from '../src/lr-find-command.js';
import { main } from '../src/main.js';
import { ACTIVATIONS, INITS, OPTIMIZERS } from '../src/names.js';
import { parseTuneArgs } from '../src/tune-command.js';
import { capture } from './helpers.js';

const PARSERS: Record<string, (argv: string[]) => unknown> = {
  train: parseTrainArgs,
  eval: (argv) =>
    parseEvalArgs(
      argv.includes('--checkpoint') ? argv : [...argv, '--checkpoint', 'm.safetensors'],
    ),
  tune: parseTuneArgs,
  'lr-find': parseLrFindArgs,
  finetune: parseFinetuneArgs,
  lab: parseLabAllArgs,
  predict: (argv) =>
    parsePredictArgs(
      argv.includes('--checkpoint')
        ? argv
        : [...argv, '--checkpoint', 'm.safetensors', '--csv', 'x.csv'],
    ),
  export: (argv) =>
    parseExportArgs(
      argv.includes('--checkpoint') || argv.includes('--onnx')
        ? argv
        : [...argv, '--checkpoint', 'm.safetensors', '--onnx', 'm.onnx'],
    ),
  bench: parseBenchArgs,
};

/** A value the flag accepts, for checking that the parser knows it. */
function sample(f: FlagDef): string[] {
  if (f.kind === 'boolean') return [`--${f.name}`];
  if (f.kind === 'choice') return [`--${f.name}`, String(f.values?.[0])];
  if (f.kind === 'int' || f.kind === 'number')
    return [
      `--${f.name}`,
      String(f.min === undefined || f.exclusiveMin ? Math.max(1, (f.min ?? 0) + 1) : f.min),
    ];
  if (f.placeholder === 'LOW:HIGH') return [`--${f.name}`, '1:10'];
  if (f.name === 'batch-size') return [`--${f.name}`, '32'];
  if (f.name === 'optimizer') return [`--${f.name}`, 'adam'];
  if (f.name === 'space' || f.name === 'seeds' || f.name === 'new-classes') return [];
  return [`--${f.name}`, f.placeholder?.includes('.safetensors') ? 'x.safetensors' : 'x'];
}

async function help(def: CommandDef) {
  const c = capture();
  expect(await main([def.name, '--help'], c.io)).toBe(0);
  return c.out();
}

describe('nerve <command> --help', () => {
  it.each(
    COMMANDS.map((d) => [d.name, d] as const),
  )('%s --help lists every flag the parser accepts, with its default, and exits 0', async (_name, def) => {
    const text = await help(def);
    expect(text).toMatch(new RegExp(`^usage: nerve ${def.name} \\[flags\\]`));
    for (const f of def.flags) {
      expect(text).toContain(`--${f.name}`);
      // The parser accepts every flag the help lists (no "unknown option").
      const argv = sample(f);
      if (argv.length > 0) {
        try {
          PARSERS[def.name](argv);
        } catch (e) {
          expect((e as Error).message).not.toMatch(/unknown option/);
        }
      }
    }
    // ...and refuses one it does not list.
    expect(() => PARSERS[def.name](['--not-a-flag'])).toThrow(/unknown option '--not-a-flag'/);
    const c = capture();
    expect(await main([def.name, '-h'], c.io)).toBe(0);
    expect(c.out()).toBe(text);
  });

  it('shows --pretrain-epochs for finetune, with its default and range', async () => {
    expect(await help(FINETUNE)).toMatch(
      /--pretrain-epochs N +pretraining epochs\n +\(an integer in \[1, 100\]; default: 2\)/,
    );
  });

  it('shows the defaults of train, including those that depend on other flags', async () => {
    const text = await help(TRAIN);
    expect(text).toMatch(/--optimizer NAME[^\n]*\n[^\n]*default: adam/);
    expect(text).toMatch(/--epochs N[^\n]*\n[^\n]*default: 40 \(digits MLP\)/);
    expect(text).toMatch(/--lr X[^\n]*\n[^\n]*a number > 0 and ≤ 10/);
  });

  it('lr-find, train and finetune share the data and architecture flags', () => {
    // One table of each (flags-common.ts): a flag added to train's reaches the others.
    const names = (def: CommandDef) => new Set(def.flags.map((f) => f.name));
    const shared = [
      'dataset',
      'csv',
      'label',
      'images',
      'size',
      'grayscale',
      'model',
      'activation',
      'init',
      'batchnorm',
      'hidden',
      'depth',
      'width',
      'dropout',
    ];
    for (const def of [TRAIN, LR_FIND, FINETUNE]) {
      const have = names(def);
      expect(
        shared.filter((n) => !have.has(n)),
        def.name,
      ).toEqual([]);
    }
  });

  it("takes lr-find's defaults from its parser", async () => {
    const text = await help(LR_FIND);
    const d = parseLrFindArgs([]);
    expect(text).toMatch(new RegExp(`--optimizer NAME[^\\n]*\\n[^\\n]*default: ${d.optimizer}\\)`));
    expect(text).toMatch(new RegExp(`--steps N[^\\n]*\\n[^\\n]*default: ${d.steps}\\)`));
  });

  it('nerve tune show --help lists its flags; nerve tune --help lists the shared-study ones', async () => {
    const { TUNE_SHOW } = await import('../src/tune-show.js');
    const { formatHelp } = await import('../src/help.js');
    for (const argv of [
      ['tune', 'show', '--help'],
      ['help', 'tune', 'show'],
    ]) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(0);
      expect(c.out()).toBe(`${formatHelp(TUNE_SHOW)}\n`);
      for (const f of ['--storage URL', '--study NAME', '--json', '--report FILE.html']) {
        expect(c.out()).toContain(f);
      }
    }
    const tune = await help(TUNE);
    for (const f of ['--storage URL', '--study FILE.jsonl|NAME', '--backend NAME']) {
      expect(tune).toContain(f);
    }
    expect(tune).toMatch(/--storage, Ctrl-C \(or SIGTERM, exit 143\) gives the running trial back/);
  });

  it('documents the grid-search rule for --trials', async () => {
    expect(await help(TUNE)).toMatch(/--trials N[^\n]*not with grid/);
  });

  it('nerve --help lists the commands; a bare nerve exits 2', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    for (const d of COMMANDS) expect(c.out()).toContain(`  ${d.name}`);
    const bare = capture();
    expect(await main([], bare.io)).toBe(2);
    const h = capture();
    expect(await main(['help', 'tune'], h.io)).toBe(0);
    expect(h.out()).toBe(await help(TUNE));
  });
});

describe('the name lists come from the packages', () => {
  it('optimizers are @nerve/optim registry; activations and initializers are subsets of theirs', () => {
    expect([...OPTIMIZERS]).toEqual([...OPTIMIZER_NAMES]);
    for (const a of ACTIVATIONS) expect(ACTIVATION_NAMES).toContain(a);
    for (const i of INITS.filter((n) => n !== 'default')) expect(INITIALIZER_NAMES).toContain(i);
  });
});

describe('nerve --version', () => {
  it.each([['--version'], ['version']])('%s prints the @nerve/cli version', async (arg) => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const c = capture();
    expect(await main([arg], c.io)).toBe(0);
    expect(c.out()).toBe(`${pkg.version}\n`);
  });
});

describe('usage errors: exit 2, the message, a hint at the command help, not the whole usage', () => {
  it.each([
    [['train', '--epocs', '3'], /unknown option '--epocs'; did you mean --epochs\?/, 'train'],
    [['train', '--batchsize', '3'], /did you mean --batch-size\?/, 'train'],
    [['tune', '--trails', '3'], /did you mean --trials\?/, 'tune'],
    [
      ['train', '--optimizer', 'adma'],
      /expected one of .*, received 'adma'; did you mean adam\?/,
      'train',
    ],
    [['trian'], /unknown command 'trian'; did you mean train\?/, undefined],
    [['train', '--lr', '-1'], /--lr: expected a number > 0 and ≤ 10, received '-1'/, 'train'],
    [['train', '--lr', '-0.5'], /--lr: expected a number > 0 and ≤ 10, received '-0.5'/, 'train'],
    [
      ['train', '--epochs', '-3'],
      /--epochs: expected an integer in \[1, 10000\], received '-3'/,
      'train',
    ],
    [
      ['train', '--seed', '-1'],
      /--seed: expected an integer in \[0, 4294967295\], received '-1'/,
      'train',
    ],
    [['lr-find', '--start-lr', '-1'], /--start-lr: expected a number > 0/, 'lr-find'],
    [['tune', '--lr', '-1:2'], /--lr: expected a range low:high with low < high|log range/, 'tune'],
    [
      ['finetune', '--freeze', 'head'],
      /--freeze: expected one of backbone, none, received 'head'/,
      'finetune',
    ],
    [['eval'], /--checkpoint: expected a path/, 'eval'],
  ])('%j', async (argv, message, command) => {
    const c = capture();
    expect(await main(argv as string[], c.io)).toBe(2);
    const [first, hint, ...more] = c.err().trimEnd().split('\n');
    expect(first).toMatch(/^nerve: /);
    expect(first).toMatch(message);
    expect(hint).toBe(
      command
        ? `usage: nerve ${command} [flags]; run 'nerve ${command} --help' for the flags`
        : "usage: nerve <command> [flags]; run 'nerve --help' for the commands",
    );
    expect(more).toEqual([]);
    expect(c.err()).not.toMatch(/Unknown option|ambiguous/);
  });

  it('takes a negative number as the value of a flag that allows one (tune --lr range checks it)', () => {
    expect(() => parseTuneArgs(['--lr', '-1:-0.5'])).not.toThrow(/ambiguous|unknown option/);
    expect(parseTrainArgs(['--lr=0.5']).lr).toBe(0.5);
  });

  it('under --json a usage error is also a JSON line on stdout', async () => {
    const c = capture();
    expect(await main(['train', '--json', '--epochs', '0'], c.io)).toBe(2);
    expect(c.lines()).toEqual([
      {
        event: 'error',
        message: "--epochs: expected an integer in [1, 10000], received '0'",
        exitCode: 2,
      },
    ]);
  });
});

describe('flag tables', () => {
  it('have unique flag names and a description for each', () => {
    for (const def of [TRAIN, EVAL, TUNE, LR_FIND, FINETUNE]) {
      const names = def.flags.map((f) => f.name);
      expect(new Set(names).size).toBe(names.length);
      for (const f of def.flags) expect(f.description.length).toBeGreaterThan(3);
    }
  });
});
