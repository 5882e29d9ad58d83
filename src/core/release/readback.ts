// Deciding, from what Cloudflare says about a message now, whether an earlier send whose
// outcome is not known released it. Pure. Only a message that is provably still quarantined
// with no release recorded anywhere may be sent again.

/** The parts of a message's details the decisions need. */
export interface MessageView {
  id: string;
  quarantined: boolean;
  /** QUARANTINE_RELEASE appears in post_delivery_operations (or the deprecated action_log). */
  releaseRecorded: boolean;
  disposition?: string;
  subject?: string;
  from?: string;
  fromName?: string;
  to?: string[];
  scannedAt?: string;
  detectionReasons?: string[];
}

/** A request that failed. `authFailed`: the API refused the credentials (stop the run). */
export interface LookupError {
  kind: 'error';
  message: string;
  rateLimited: boolean;
  authFailed?: boolean;
}

export type Lookup = { kind: 'found'; message: MessageView } | { kind: 'not-found' } | LookupError;

/** Quarantine releases in a message's action log, oldest first. */
export type ActionLogLookup =
  | { kind: 'found'; releases: { complete: boolean }[] }
  | { kind: 'not-found' }
  | LookupError;

export type ReadBackFinding =
  | { kind: 'released'; evidence: string }
  | { kind: 'partial'; evidence: string }
  | { kind: 'not-released' }
  | { kind: 'missing' }
  | { kind: 'unknown'; message: string; rateLimited: boolean; authFailed?: boolean };

/** First step: the message itself. `undefined` means "ask the action log too". */
export function judgeMessage(lookup: Lookup): ReadBackFinding | undefined {
  switch (lookup.kind) {
    case 'not-found':
      return { kind: 'missing' };
    case 'error':
      return unknownOf(lookup);
    case 'found':
      if (!lookup.message.quarantined)
        return { kind: 'released', evidence: 'no longer quarantined' };
      return undefined;
  }
}

/**
 * Second step, for a message still quarantined. `priorActs` is how many sends the ledger
 * knows acted on it before; each act leaves one release in the action log. One more release
 * than that means the unresolved send acted (partially, since the message is still held);
 * exactly that many means it provably did not.
 */
export function judgeActionLog(log: ActionLogLookup, priorActs: number): ReadBackFinding {
  switch (log.kind) {
    case 'found': {
      const n = log.releases.length;
      if (n > priorActs) {
        return log.releases[n - 1]?.complete
          ? { kind: 'released', evidence: 'the action log records a completed release' }
          : {
              kind: 'partial',
              evidence: 'the action log records a release that did not reach every recipient',
            };
      }
      if (n === priorActs) return { kind: 'not-released' };
      return {
        kind: 'unknown',
        message: `the action log shows ${n} release(s) but the ledger records ${priorActs}`,
        rateLimited: false,
      };
    }
    case 'not-found':
      return { kind: 'missing' };
    case 'error':
      return unknownOf(log);
  }
}

function unknownOf(e: LookupError): ReadBackFinding {
  return {
    kind: 'unknown',
    message: e.message,
    rateLimited: e.rateLimited,
    ...(e.authFailed ? { authFailed: true } : {}),
  };
}
