// Fault injection: which fault (if any) hits a request, decided when the request arrives,
// from a one-shot script first, then from per-kind rates drawn from a seeded stream. Every
// random detail of a fault (which status, which recipients fail) is fixed at that moment
// through a per-request seed, so a seed and a request order always give the same faults.

import { isObject } from '../core/values.js';
import { createRandom, deriveSeed, type Random } from './random.js';
import {
  FAULT_KINDS,
  type FaultConfig,
  type FaultKind,
  type FaultRoute,
  type ScriptedFault,
} from './types.js';

const RELEASE_ONLY: ReadonlySet<FaultKind> = new Set([
  'partial',
  'missing_id',
  'postfix_only',
  'null_recipients',
]);

/** Whether a fault kind can hit a request of this route. */
function appliesTo(kind: FaultKind, route: FaultRoute): boolean {
  if (RELEASE_ONLY.has(kind)) return route === 'release';
  if (kind === 'accepted') return route === 'search';
  if (kind === 'null_success') return route === 'action_log';
  if (kind === 'legacy_release') return route === 'message';
  return true;
}

/** The fault that hits one request: a scripted fault's fields, defaults filled in. */
export type FaultDecision = Required<Omit<ScriptedFault, 'route'>> & {
  /** Seeds the fault's own random choices (recipients that fail, the id dropped). */
  seed: number;
};

export class FaultPlan {
  readonly latencyMs: number;
  private readonly jitterMs: number;
  private readonly script: ScriptedFault[];
  private readonly rates: [FaultKind, number][];
  private readonly random: Random;

  constructor(config: FaultConfig, defaultSeed: number) {
    this.latencyMs = config.latencyMs ?? 0;
    this.jitterMs = config.jitterMs ?? 0;
    this.script = [...(config.script ?? [])];
    // Fixed kind order, so the same draw maps to the same kind on every run.
    this.rates = FAULT_KINDS.flatMap((kind): [FaultKind, number][] => {
      const rate = kind === 'none' ? undefined : config.rates?.[kind];
      return rate ? [[kind, rate]] : [];
    });
    this.random = createRandom(deriveSeed(config.seed ?? defaultSeed, 'faults'));
  }

  /** Milliseconds to wait before handling the next request. */
  delay(): number {
    return this.latencyMs + (this.jitterMs > 0 ? this.random.int(this.jitterMs + 1) : 0);
  }

  /** The fault for a request of `route`, or undefined to answer normally. */
  choose(route: FaultRoute): FaultDecision | undefined {
    const index = this.script.findIndex(
      (f) => ((f.route ?? 'any') === 'any' || f.route === route) && appliesTo(f.kind, route),
    );
    if (index !== -1) {
      const [scripted] = this.script.splice(index, 1);
      if (scripted && scripted.kind !== 'none') return this.decide(scripted);
      return undefined;
    }
    if (this.rates.length === 0) return undefined;
    const draw = this.random.next();
    let cumulative = 0;
    for (const [kind, rate] of this.rates) {
      if (!appliesTo(kind, route)) continue;
      cumulative += rate;
      if (draw < cumulative) {
        return this.decide({
          kind,
          status: this.random.pick([500, 502, 503] as const),
          html: this.random.chance(0.3),
          acted: this.random.chance(0.5),
        });
      }
    }
    return undefined;
  }

  private decide(f: ScriptedFault): FaultDecision {
    return {
      kind: f.kind,
      status: f.status ?? 503,
      html: f.html ?? false,
      acted: f.acted ?? false,
      retryAfterSeconds: f.retryAfterSeconds ?? 1,
      polls: f.polls ?? 0,
      badHeader: f.badHeader ?? false,
      seed: this.random.int(0x1_0000_0000),
    };
  }
}

export class FaultConfigError extends RangeError {}

const ROUTES = ['release', 'message', 'action_log', 'search', 'any'] as const;
const CONFIG_KEYS = new Set(['latencyMs', 'jitterMs', 'script', 'rates', 'seed']);
const SCRIPT_KEYS = new Set([
  'kind',
  'route',
  'status',
  'html',
  'acted',
  'retryAfterSeconds',
  'polls',
  'badHeader',
]);
const MAX_DELAY_MS = 600_000;
const MAX_SCRIPT = 100_000;

function wholeNumber(value: unknown, where: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new FaultConfigError(`${where} must be a whole number from 0 to ${max}`);
  }
  return value;
}

function unknownKeys(value: Record<string, unknown>, allowed: Set<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key))
      throw new FaultConfigError(`${where}: unknown field ${JSON.stringify(key)}`);
  }
}

function scriptedFault(value: unknown, where: string): ScriptedFault {
  if (!isObject(value)) throw new FaultConfigError(`${where} must be an object`);
  unknownKeys(value, SCRIPT_KEYS, where);
  const kind = value.kind as FaultKind;
  if (!FAULT_KINDS.includes(kind)) {
    throw new FaultConfigError(`${where}.kind must be one of ${FAULT_KINDS.join(', ')}`);
  }
  const route = (value.route ?? 'any') as FaultRoute | 'any';
  if (!ROUTES.includes(route)) {
    throw new FaultConfigError(`${where}.route must be one of ${ROUTES.join(', ')}`);
  }
  if (route !== 'any' && !appliesTo(kind, route)) {
    throw new FaultConfigError(`${where}: a ${kind} fault cannot hit a ${route} request`);
  }
  const out: ScriptedFault = { kind, route };
  if (value.status !== undefined) {
    if (value.status !== 500 && value.status !== 502 && value.status !== 503) {
      throw new FaultConfigError(`${where}.status must be 500, 502 or 503`);
    }
    out.status = value.status;
  }
  for (const flag of ['html', 'acted', 'badHeader'] as const) {
    if (value[flag] === undefined) continue;
    if (typeof value[flag] !== 'boolean')
      throw new FaultConfigError(`${where}.${flag} must be a boolean`);
    out[flag] = value[flag];
  }
  const retryAfter = wholeNumber(value.retryAfterSeconds, `${where}.retryAfterSeconds`, 86_400);
  if (retryAfter !== undefined) out.retryAfterSeconds = retryAfter;
  const polls = wholeNumber(value.polls, `${where}.polls`, 100);
  if (polls !== undefined) out.polls = polls;
  return out;
}

/** Checks a fault configuration that came from outside (control endpoint, CLI, options). */
export function parseFaultConfig(value: unknown): FaultConfig {
  if (!isObject(value)) throw new FaultConfigError('the fault configuration must be an object');
  unknownKeys(value, CONFIG_KEYS, 'faults');
  const config: FaultConfig = {};
  const latency = wholeNumber(value.latencyMs, 'latencyMs', MAX_DELAY_MS);
  if (latency !== undefined) config.latencyMs = latency;
  const jitter = wholeNumber(value.jitterMs, 'jitterMs', MAX_DELAY_MS);
  if (jitter !== undefined) config.jitterMs = jitter;
  const seed = wholeNumber(value.seed, 'seed', 0xffff_ffff);
  if (seed !== undefined) config.seed = seed;
  if (value.script !== undefined) {
    if (!Array.isArray(value.script) || value.script.length > MAX_SCRIPT) {
      throw new FaultConfigError(`script must be an array of at most ${MAX_SCRIPT} faults`);
    }
    config.script = value.script.map((f, i) => scriptedFault(f, `script[${i}]`));
  }
  if (value.rates !== undefined) {
    if (!isObject(value.rates)) throw new FaultConfigError('rates must be an object');
    const rates: NonNullable<FaultConfig['rates']> = {};
    let total = 0;
    for (const [kind, rate] of Object.entries(value.rates)) {
      if (kind === 'none' || !FAULT_KINDS.includes(kind as FaultKind)) {
        throw new FaultConfigError(`rates: unknown fault kind ${JSON.stringify(kind)}`);
      }
      if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
        throw new FaultConfigError(`rates.${kind} must be a number from 0 to 1`);
      }
      rates[kind as Exclude<FaultKind, 'none'>] = rate;
      total += rate;
    }
    if (total > 1) throw new FaultConfigError('the fault rates must add up to 1 at most');
    config.rates = rates;
  }
  return config;
}
