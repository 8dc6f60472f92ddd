/**
 * The shape of a lab experiment. An experiment states one claim of the
 * lecture in our words, runs a measurement with nerve's own API, and
 * returns data: findings (did the claim hold, with numbers), tables and
 * figures (as @nerve/plot data). It never renders and never touches files,
 * so the CLI and the site draw the same result from the same code.
 */
import type { Tensor } from '@nerve/core';
import type { TensorDataset } from '@nerve/data';
import type { Figure, Finding, Table } from '@nerve/plot';

/** A parameter an experiment takes, with its default and its quick-mode value. */
export type ParamSpec =
  | {
      /** A real number or an integer. */
      type: 'number' | 'integer';
      /** The value used without --quick. */
      default: number;
      /** The value used by `--quick` (≤ 10 s runs); the default when absent. */
      quick?: number;
      /** Smallest value accepted. */
      min?: number;
      /** Largest value accepted. */
      max?: number;
      /** What the parameter changes, for --help and the site's controls. */
      description: string;
    }
  | {
      /** One of a list of strings. */
      type: 'choice';
      /** The value used without --quick. */
      default: string;
      /** The value used by `--quick`; the default when absent. */
      quick?: string;
      /** The strings accepted. */
      choices: readonly string[];
      /** What the parameter changes, for --help and the site's controls. */
      description: string;
    }
  | {
      /** A switch. */
      type: 'boolean';
      /** The value used without --quick. */
      default: boolean;
      /** The value used by `--quick`; the default when absent. */
      quick?: boolean;
      /** What the parameter changes, for --help and the site's controls. */
      description: string;
    };

/** Parameter values as an experiment receives them. */
export type ParamValues = Record<string, number | string | boolean>;

/** A data set as tensors: x float32, y int32 labels. The caller of `load` owns both. */
export interface LabTensors {
  /** The examples, float32. */
  x: Tensor;
  /** The labels, int32. */
  y: Tensor;
}

/**
 * Where experiments get their data. The lab never reads files itself: in
 * Node the CLI passes loaders backed by @nerve/data's file readers
 * (`nodeLabData` from '@nerve/lab/node'); in a browser the site passes
 * loaders that fetch the same files (digits through `loadDigitsFromGzip`).
 */
export interface LabData {
  /** The bundled UCI digits: x [1797, 64] with values 0..16, y [1797]. */
  digits(): Promise<LabTensors>;
  /**
   * Fashion-MNIST: 60,000 train and 10,000 test images [N, 1, 28, 28] in
   * [0, 1] with int32 labels 0..9, as loadFashionMnist returns them. Rejects
   * with a clear message where it is not installed. The caller disposes both.
   */
  fashionMnist(): Promise<{
    /** The 60,000 training images. */
    train: TensorDataset;
    /** The 10,000 test images. */
    test: TensorDataset;
  }>;
}

/** Progress of a running experiment. */
export interface LabProgress {
  /** 0..1. */
  fraction: number;
  /** What the run is doing now, in words. */
  message: string;
}

/** What `run` receives besides the parameters. */
export interface LabContext {
  /**
   * Backend name (registered by the caller); the default backend when absent.
   * runExperiment makes it active around `run` and restores the previous one.
   * Experiments train on it, and load, split and standardize their data on
   * the CPU backend where one is registered (those read synchronously, which
   * WebGPU cannot), then move it here; results are read asynchronously.
   */
  backend?: string;
  /** Seed of everything random in the run; each experiment documents its default. */
  seed: number;
  /** True when running with the quick parameter values (tests, `--quick`). */
  quick: boolean;
  /** The data loaders. */
  data: LabData;
  /** Aborting stops the run at the next step with an AbortError. */
  signal?: AbortSignal;
  /** Called as the run progresses. */
  onProgress?: (p: LabProgress) => void;
}

/** What an experiment returns: data only. */
export interface LabOutput {
  /** Checked statements, each held or not. */
  findings: Finding[];
  /** Tables of results. */
  tables: Table[];
  /** Figures to draw (data only; @nerve/plot draws them). */
  figures: Figure[];
  /** Free-text notes on what the numbers show (plain text, one per paragraph). */
  notes?: string[];
}

/** A finished run, as the CLI prints it and the site shows it. */
export interface LabResult extends LabOutput {
  /** The experiment's id. */
  id: string;
  /** The experiment's title. */
  title: string;
  /** The claim it tests. */
  claim: string;
  /** The parameter values it ran with. */
  params: ParamValues;
  /** The seed it ran with. */
  seed: number;
  /** Whether it ran with the quick values. */
  quick: boolean;
  /** True when every finding held. */
  held: boolean;
  /** Wall-clock seconds of the run. */
  seconds: number;
}

/** One experiment. */
export interface Experiment {
  /** Short kebab-case name used on the command line: `nerve lab run init-depth`. */
  id: string;
  /** Title shown in lists and on the site. */
  title: string;
  /** The claim the experiment tests, in one or two sentences of our own. */
  claim: string;
  /** The lecture topic it belongs to (for grouping on the site). */
  topic: string;
  /** The parameters it takes, by name. */
  params: Record<string, ParamSpec>;
  /** Default seed. */
  seed: number;
  /** Runs the experiment and returns its findings, tables and figures. */
  run(params: ParamValues, ctx: LabContext): Promise<LabOutput>;
}
