/**
 * Loading the board's YAML configuration with the reference's fallback rules: each of
 * `ui_config.yaml` and `actions_config.yaml` is read from the user's config directory and falls
 * back to the packaged default when the user file is missing, empty (or comments only) or not
 * parseable YAML. A user file that parses but fails validation does not fall back: loading fails
 * with the problems listed.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { InvalidArgumentError } from '@ringkit/core';
import { ValidationError } from './errors.js';
import { parseActionsConfig, parseUiConfig, type ActionsConfig, type UiConfig } from './schema.js';

/** The packaged default configuration directory (`packages/board/config`). */
export const DEFAULT_CONFIG_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config');

/** File names of the two configs, as in the reference. */
export const UI_CONFIG_FILE = 'ui_config.yaml';
/** File name of the actions config. */
export const ACTIONS_CONFIG_FILE = 'actions_config.yaml';

/** A loaded config file and where it came from. */
export interface Loaded<T> {
  /** The validated config. */
  readonly config: T;
  /** The file it was read from. */
  readonly path: string;
  /** The directory its relative module specifiers resolve against. */
  readonly dir: string;
}

/** Reads and parses one YAML file; `undefined` when missing, unreadable, empty or not YAML. */
async function readYaml(path: string, warn: (m: string) => void): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v: unknown = parseYaml(text);
    if (v == null) warn(`${path} is empty; using the next candidate`);
    return v ?? undefined;
  } catch (e) {
    warn(`${path} is not valid YAML (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); using the next candidate`);
    return undefined;
  }
}

async function loadOne<T>(file: string, userDir: string | undefined, parse: (v: unknown) => T, warn: (m: string) => void): Promise<Loaded<T>> {
  const candidates = [...(userDir ? [userDir] : []), DEFAULT_CONFIG_DIR];
  for (const dir of candidates) {
    const path = join(dir, file);
    const raw = await readYaml(path, warn);
    if (raw === undefined) continue;
    try {
      return { config: parse(raw), path, dir };
    } catch (e) {
      if (e instanceof ValidationError) throw new ValidationError(`config file ${path}`, e.problems);
      throw e;
    }
  }
  throw new InvalidArgumentError(`no usable ${file}: looked in ${candidates.join(', ')}`);
}

/** Both configs as loaded from disk. */
export interface LoadedConfig {
  /** The UI config and its file. */
  readonly ui: Loaded<UiConfig>;
  /** The actions config and its file. */
  readonly actions: Loaded<ActionsConfig>;
}

/** Throws {@link InvalidArgumentError} naming `dir` when it is not an existing directory. */
async function checkDir(dir: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    throw new InvalidArgumentError(`config directory does not exist: configDir=${dir} (${resolve(dir)}); create it, or leave --config out to use the packaged default config`);
  }
  if (!isDir) throw new InvalidArgumentError(`config directory is not a directory: configDir=${dir} (${resolve(dir)}); --config takes the directory holding ui_config.yaml and actions_config.yaml`);
}

/**
 * Loads the UI and actions configs from `userDir` (each falling back independently to the
 * packaged defaults). Throws {@link InvalidArgumentError} when `userDir` is not an existing
 * directory, and {@link ValidationError} naming the file and fields when a chosen file is invalid.
 */
export async function loadConfig(userDir?: string, warn: (m: string) => void = () => {}): Promise<LoadedConfig> {
  if (userDir !== undefined) await checkDir(userDir);
  const ui = await loadOne(UI_CONFIG_FILE, userDir, (v) => parseUiConfig(v), warn);
  const actions = await loadOne(ACTIONS_CONFIG_FILE, userDir, (v) => parseActionsConfig(v), warn);
  return { ui, actions };
}
