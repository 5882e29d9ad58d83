// Scripted faults. A fault answers a request in place of the endpoint, so the request has no
// effect, which is what GitHub's rate limits and 5xx in front of the API do.
import { failure, forbiddenForIntegration, notFound, type Reply } from './http.js';

export type FaultKind =
  | 'secondary-rate-limit'
  | 'primary-rate-limit'
  | 'server-error'
  | 'not-found'
  | 'forbidden';

export interface FaultMatch {
  method?: string;
  /** Compared with the path after /repos/{owner}/{repo}, without the query. */
  pathPrefix?: string;
}

interface ScriptedFault {
  match: FaultMatch;
  kind: FaultKind;
  remaining: number;
}

/** The rate-limit headers a fault overrides; the server fills in the rest. */
export interface RateLimitOverride {
  remaining: number;
  resetEpochSeconds: number;
}

export class Faults {
  private readonly script: ScriptedFault[] = [];
  private staleReadsLeft = 0;
  private concurrentPush:
    | { files: Record<string, string | null>; message: string }
    | { run: () => void }
    | undefined;
  readOnly = false;

  failNext(match: FaultMatch, kind: FaultKind, count = 1): void {
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`fault count must be >= 1: ${count}`);
    this.script.push({ match, kind, remaining: count });
  }

  /** The first scripted fault that matches this request, consumed by one. */
  take(method: string, path: string): FaultKind | undefined {
    const index = this.script.findIndex(
      ({ match }) =>
        (match.method === undefined || match.method.toUpperCase() === method) &&
        (match.pathPrefix === undefined || path.startsWith(match.pathPrefix)),
    );
    const fault = index === -1 ? undefined : this.script[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.script.splice(index, 1);
    return fault.kind;
  }

  staleReads(count: number): void {
    this.staleReadsLeft = count;
  }

  /** Whether this ref read should see the sha from before the last write. */
  takeStaleRead(): boolean {
    if (this.staleReadsLeft === 0) return false;
    this.staleReadsLeft -= 1;
    return true;
  }

  moveBranchBeforeNextRefUpdate(files: Record<string, string | null>, message: string): void {
    this.concurrentPush = { files, message };
  }

  /** Runs `push` (a commit of the test's own making) right before the next ref update. */
  beforeNextRefUpdate(push: () => void): void {
    this.concurrentPush = { run: push };
  }

  /** The push to land before the ref update being handled, once. */
  takeConcurrentPush():
    | { files: Record<string, string | null>; message: string }
    | { run: () => void }
    | undefined {
    const push = this.concurrentPush;
    this.concurrentPush = undefined;
    return push;
  }
}

/**
 * The reply for a fault, with the rate-limit state it implies. Secondary limits carry
 * `retry-after: 1` (plugin-throttling waits that many seconds; a missing or zero value makes
 * it fall back to 60 s). A primary limit resets within 1-2 s so a retrying client stays quick.
 */
export function faultReply(
  kind: FaultKind,
  now: number,
): { reply: Reply; rateLimit?: RateLimitOverride } {
  switch (kind) {
    case 'secondary-rate-limit':
      return {
        reply: failure(
          403,
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          { headers: { 'retry-after': '1' } },
        ),
      };
    case 'primary-rate-limit':
      return {
        reply: failure(403, 'API rate limit exceeded for installation ID 1.'),
        rateLimit: { remaining: 0, resetEpochSeconds: Math.floor(now / 1000) + 2 },
      };
    case 'server-error':
      return { reply: failure(500, 'Server Error') };
    case 'not-found':
      return { reply: notFound() };
    case 'forbidden':
      return { reply: forbiddenForIntegration() };
  }
}
