// What one side of `regression.compare` is: a live loopback URL (a plain string), a local image, or a git commit
// built into an image — the last two run as a container on the stack's network for the gate's duration. Parsed from
// gate.yaml (every problem with its location) and overridden per side by --baseline-image/--candidate-commit….
import { UsageError } from '../errors.ts';

export type SideRole = 'baseline' | 'candidate';
export const SIDE_ROLES: readonly SideRole[] = ['baseline', 'candidate'];

export type CompareSide =
  | { kind: 'url'; url: string }
  | { kind: 'image'; image: string; env: Record<string, string> }
  | { kind: 'commit'; commit: string; env: Record<string, string> };

/** Set by the toolkit for every side container: a side's env may not change how it is reached or named. */
const RESERVED_ENV = new Set(['PORT', 'HOST', 'REPLICA_ID']);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Path = Array<string | number>;
export type Report = (path: Path, message: string, onKey?: boolean) => void;

/**
 * One side as written in gate.yaml. Problems go to `at` (path relative to the side); undefined when any was found.
 * URL sides are checked by the caller (the same load-option check as run.target).
 */
export function parseSide(raw: unknown, at: Report): CompareSide | undefined {
  if (typeof raw === 'string') return { kind: 'url', url: raw };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    at([], 'expected a loopback URL, {image: <tag>} or {commit: <git ref>}');
    return undefined;
  }
  const o = raw as Record<string, unknown>;
  let ok = true;
  const fail = (path: Path, message: string, onKey = false) => {
    ok = false;
    at(path, message, onKey);
  };
  for (const key of Object.keys(o)) {
    if (!['image', 'commit', 'env'].includes(key)) fail([key], 'unknown setting (image, commit or env)', true);
  }
  const has = (k: string) => o[k] !== undefined;
  if (has('image') && has('commit')) fail([], 'give image or commit, not both');
  else if (!has('image') && !has('commit')) fail([], 'needs image: <tag> or commit: <git ref>');
  for (const k of ['image', 'commit'] as const) {
    if (has(k) && (typeof o[k] !== 'string' || !(o[k] as string).trim())) fail([k], 'must be a non-empty string');
  }
  if (has('commit') && typeof o.commit === 'string' && o.commit.startsWith('-')) {
    fail(['commit'], 'a git ref cannot start with "-"');
  }
  const env = parseEnv(o.env, (path, message, onKey) => fail(['env', ...path], message, onKey));
  if (!ok || !env) return undefined;
  return has('image')
    ? { kind: 'image', image: (o.image as string).trim(), env }
    : { kind: 'commit', commit: (o.commit as string).trim(), env };
}

function parseEnv(raw: unknown, at: Report): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    at([], 'expected a mapping of variable names to values');
    return undefined;
  }
  const env: Record<string, string> = {};
  let ok = true;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!ENV_NAME.test(k)) {
      ok = false;
      at([k], 'not a valid environment variable name', true);
    } else if (RESERVED_ENV.has(k)) {
      ok = false;
      at([k], `${k} is set by the toolkit for every side container`, true);
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      env[k] = String(v);
    } else {
      ok = false;
      at([k], 'must be a string, number or boolean');
    }
  }
  return ok ? env : undefined;
}

export interface SideFlags {
  baselineImage?: string;
  candidateImage?: string;
  baselineCommit?: string;
  candidateCommit?: string;
}

const flagName = (role: SideRole, kind: 'image' | 'commit') => `--${role}-${kind}`;

/**
 * The sides after the command line: a flag replaces that side of the config (keeping the config side's env, so a
 * config can pin SLOWDOWN_PCT while CI passes the commit). Returns undefined when no flag names a side.
 */
export function sidesFromFlags(
  flags: SideFlags,
  configured: { baseline: CompareSide; candidate: CompareSide } | undefined,
  configFile: string,
): { baseline: CompareSide; candidate: CompareSide } | undefined {
  const pick = (role: SideRole): CompareSide | undefined => {
    const image = role === 'baseline' ? flags.baselineImage : flags.candidateImage;
    const commit = role === 'baseline' ? flags.baselineCommit : flags.candidateCommit;
    if (image !== undefined && commit !== undefined) {
      throw new UsageError(
        `${flagName(role, 'image')} and ${flagName(role, 'commit')} together: give one ${role}`,
        'an image tag in the local engine, or a git ref the toolkit builds into one',
      );
    }
    for (const [kind, v] of [
      ['image', image],
      ['commit', commit],
    ] as const) {
      if (v !== undefined && (!v.trim() || (kind === 'commit' && v.startsWith('-')))) {
        throw new UsageError(
          `${flagName(role, kind)} "${v}" is not ${kind === 'image' ? 'an image tag' : 'a git ref'}`,
        );
      }
    }
    const prior = configured?.[role];
    const env = prior && prior.kind !== 'url' ? prior.env : {};
    if (image !== undefined) return { kind: 'image', image: image.trim(), env };
    if (commit !== undefined) return { kind: 'commit', commit: commit.trim(), env };
    return undefined;
  };
  const baseline = pick('baseline');
  const candidate = pick('candidate');
  if (!baseline && !candidate) return undefined;
  const other: SideRole = baseline ? 'candidate' : 'baseline';
  const kept = configured?.[other];
  if ((!baseline || !candidate) && !kept) {
    throw new UsageError(
      `${baseline ? 'a baseline' : 'a candidate'} was given on the command line, but ${configFile} has no regression.compare ${other}`,
      `give ${flagName(other, 'image')} or ${flagName(other, 'commit')} as well`,
    );
  }
  return { baseline: baseline ?? kept!, candidate: candidate ?? kept! };
}

/** How a side is named in progress lines and the report. */
export function describeSide(side: CompareSide): string {
  const env = side.kind === 'url' ? [] : Object.entries(side.env).map(([k, v]) => `${k}=${v}`);
  const withEnv = env.length ? ` (${env.join(' ')})` : '';
  if (side.kind === 'url') return side.url;
  return side.kind === 'image' ? `image ${side.image}${withEnv}` : `commit ${side.commit}${withEnv}`;
}
