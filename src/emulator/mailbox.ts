// The emulated mailbox: messages per account, found by their full investigate id (a bare
// Postfix queue id finds nothing, as on the real API), and the one state change the API can
// make here, a release. Pure data; no HTTP.
import { QUEUE_ID_SOURCE, queueIdOf } from '../core/ids.js';
import { compareText } from '../core/values.js';
import { utcSecond } from '../core/windows.js';
import type {
  ActionEntry,
  Disposition,
  EmulatedMessage,
  MessageDetails,
  PostDeliveryOperation,
  ValidationStatus,
} from './types.js';

/** The long investigate id the emulator serves: `<queue id>-<YYYY-MM-DDTHH:MM:SS>-<digits>`. */
export const LONG_ID = new RegExp(
  `^${QUEUE_ID_SOURCE}-([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})-[0-9]{1,20}$`,
);

/** Everything a message is built from; the rest of MessageDetails is derived. */
export interface MessageSpec {
  account_id: string;
  id: string;
  to: string[];
  subject: string;
  from: string;
  from_name: string;
  final_disposition: Disposition;
  /** RFC 3339, UTC. */
  scanned_at: string;
  released: boolean;
  previewed?: boolean;
  detection_reasons?: string[];
  threat_categories?: string[];
}

export interface Delivery {
  delivered: string[];
  failed: string[];
  undelivered: string[];
}

/**
 * One message: its immutable spec plus the state a release changes. MessageDetails is built
 * only when asked for, so a 60,000-message mailbox costs little memory and starts fast.
 */
export interface StoredMessage {
  readonly spec: MessageSpec;
  readonly postfixId: string;
  readonly scannedMs: number;
  quarantined: boolean;
  operations: PostDeliveryOperation[];
  log: ActionEntry[];
  /** Never mutated in place (it may be the spec's own list). */
  awaiting: readonly string[];
  /** Lower-cased fields `query` searches (never the ids), computed on first search. */
  haystack?: string;
  /** Set when the message was reclassified after the scan (tests: a disposition that changes). */
  reclassified?: Disposition;
}

/** The message's final disposition now: the scan's, unless it was reclassified since. */
export function dispositionOf(m: StoredMessage): Disposition {
  return m.reclassified ?? m.spec.final_disposition;
}

interface Profile {
  reasons: string[];
  threats: string[];
  validation: [ValidationStatus, ValidationStatus, ValidationStatus];
}

// What the scanner says about each disposition when the spec does not say it.
const PROFILES: Record<Disposition, Profile> = {
  MALICIOUS: {
    reasons: [
      'Attachment contains a known malware signature',
      'Link to a credential phishing page',
    ],
    threats: ['Malware', 'CredentialHarvester'],
    validation: ['fail', 'fail', 'pass'],
  },
  'MALICIOUS-BEC': {
    reasons: ['Display name impersonates an executive', 'Payment change request from a new sender'],
    threats: ['BEC', 'Impersonation'],
    validation: ['pass', 'fail', 'pass'],
  },
  SUSPICIOUS: {
    reasons: ['Sender domain registered recently', 'Unusual link target'],
    threats: ['NewDomain'],
    validation: ['pass', 'none', 'neutral'],
  },
  SPOOF: {
    reasons: ['DMARC failure for the header From domain'],
    threats: ['Spoof'],
    validation: ['fail', 'fail', 'fail'],
  },
  SPAM: {
    reasons: ['Bulk unsolicited content', 'Sender reputation'],
    threats: ['Spam'],
    validation: ['pass', 'pass', 'pass'],
  },
  BULK: {
    reasons: ['Marketing mail from a bulk sender'],
    threats: ['Bulk'],
    validation: ['pass', 'pass', 'pass'],
  },
  ENCRYPTED: { reasons: ['Encrypted content'], threats: [], validation: ['pass', 'pass', 'pass'] },
  EXTERNAL: { reasons: [], threats: [], validation: ['pass', 'pass', 'pass'] },
  UNKNOWN: { reasons: [], threats: [], validation: ['none', 'none', 'none'] },
  NONE: { reasons: [], threats: [], validation: ['pass', 'pass', 'pass'] },
};

const SECOND = 1000;

/** A message in its initial state (before any release this emulator performs). */
function storeMessage(spec: MessageSpec): StoredMessage {
  const scannedMs = Date.parse(spec.scanned_at);
  const operations: PostDeliveryOperation[] = [];
  const log: ActionEntry[] = [];
  if (spec.previewed) {
    operations.push('PREVIEW');
    const at = utcSecond(scannedMs + 1800 * SECOND);
    log.push(entry('PREVIEW', at, at, 'completed', true, { requested_by: 'analyst@example.com' }));
  }
  if (spec.released) {
    operations.push('QUARANTINE_RELEASE');
    const at = utcSecond(scannedMs + 3600 * SECOND);
    const done = utcSecond(scannedMs + 3602 * SECOND);
    log.push(
      entry('QUARANTINE_RELEASE', at, done, 'completed', true, {
        requested_by: 'analyst@example.com',
        delivered: [...spec.to],
        failed: [],
        undelivered: [],
      }),
    );
  }
  const quarantined = !spec.released && spec.final_disposition !== 'NONE';
  return {
    spec,
    postfixId: queueIdOf(spec.id),
    scannedMs,
    quarantined,
    operations,
    log,
    awaiting: quarantined ? spec.to : [],
  };
}

/**
 * What `query` searches: subject, sender address and name, recipients, disposition and
 * detection reasons. Cloudflare's reference lists these among the searched fields (with
 * others the emulator does not model: CC, attachments, dates); never the message ids.
 */
export function haystackOf(m: StoredMessage): string {
  const { spec } = m;
  const reasons = spec.detection_reasons ?? PROFILES[dispositionOf(m)].reasons;
  m.haystack ??= [spec.subject, spec.from, spec.from_name, ...spec.to, dispositionOf(m), ...reasons]
    .join('\n')
    .toLowerCase();
  return m.haystack;
}

/** The RFC 5322 Message-ID header the message carries. */
export function headerMessageId(m: StoredMessage): string {
  const from = m.spec.from;
  const domain = from.slice(from.lastIndexOf('@') + 1) || 'unknown.invalid';
  return `<${m.postfixId.toLowerCase()}@${domain}>`;
}

/** What `GET .../investigate/{id}` answers: a fresh object, safe to hand out. */
export function detailsOf(m: StoredMessage): MessageDetails {
  const { spec, scannedMs, postfixId } = m;
  const disposition = dispositionOf(m);
  const profile = PROFILES[disposition];
  const [spf, dkim, dmarc] = profile.validation;
  return {
    id: spec.id,
    postfix_id: postfixId,
    action_log: m.log.map(legacyEntry),
    alert_id: disposition === 'NONE' ? null : `${postfixId}-alert`,
    client_recipients: [...spec.to],
    delivery_mode: 'DIRECT',
    detection_reasons: [...(spec.detection_reasons ?? profile.reasons)],
    edf_hash: null,
    envelope_from: spec.from,
    envelope_to: [...spec.to],
    final_disposition: disposition,
    from: spec.from,
    from_name: spec.from_name,
    is_phish_submission: false,
    is_quarantined: m.quarantined,
    message_id: headerMessageId(m),
    post_delivery_operations: [...m.operations],
    properties: {},
    replyto: null,
    scanned_at: utcSecond(scannedMs),
    sent_at: utcSecond(scannedMs - 7 * SECOND),
    sent_date: new Date(scannedMs - 7 * SECOND).toUTCString(),
    subject: spec.subject,
    threat_categories: [...(spec.threat_categories ?? profile.threats)],
    to: [...spec.to],
    to_name: null,
    ts: utcSecond(scannedMs),
    validation: { comment: null, spf, dkim, dmarc },
  };
}

function entry(
  operation: PostDeliveryOperation,
  startedAt: string,
  completedAt: string,
  status: string,
  success: boolean,
  properties: Record<string, unknown>,
): ActionEntry {
  return {
    operation,
    started_at: startedAt,
    completed_at: completedAt,
    status,
    success,
    properties,
  };
}

// The deprecated `action_log` inside MessageDetails carries fewer fields.
function legacyEntry(e: ActionEntry): MessageDetails['action_log'][number] {
  const requestedBy = e.properties?.requested_by;
  return {
    operation: e.operation,
    completed_at: e.completed_at ?? e.started_at ?? '',
    status: e.status,
    properties: typeof requestedBy === 'string' ? { requested_by: requestedBy } : {},
  };
}

interface AccountBox {
  messages: StoredMessage[];
  /** By full investigate id only. */
  byId: Map<string, StoredMessage>;
  /** Queue ids in use: two messages never share one. */
  queues: Set<string>;
  /** Search order: newest scan first, then by id; scan times never change, so neither does it. */
  searchOrder: StoredMessage[];
}

export class Mailbox {
  private readonly accounts = new Map<string, AccountBox>();

  constructor(accountIds: readonly string[], specs: readonly MessageSpec[]) {
    for (const account of accountIds) {
      this.accounts.set(account, {
        messages: [],
        byId: new Map(),
        queues: new Set(),
        searchOrder: [],
      });
    }
    for (const spec of specs) {
      const box = this.accounts.get(spec.account_id);
      if (!box) throw new Error(`message ${spec.id} belongs to an account not served`);
      const message = storeMessage(spec);
      if (box.queues.has(message.postfixId)) {
        throw new Error(`two messages share the queue id of ${spec.id} in ${spec.account_id}`);
      }
      box.messages.push(message);
      box.byId.set(spec.id, message);
      box.queues.add(message.postfixId);
    }
    for (const box of this.accounts.values()) {
      box.searchOrder = [...box.messages].sort(
        (a, b) => b.scannedMs - a.scannedMs || compareText(a.spec.id, b.spec.id),
      );
    }
  }

  hasAccount(accountId: string): boolean {
    return this.accounts.has(accountId);
  }

  /** By full investigate id; a bare Postfix queue id finds nothing. */
  find(accountId: string, id: string): StoredMessage | undefined {
    return this.accounts.get(accountId)?.byId.get(id);
  }

  searchOrder(accountId: string): readonly StoredMessage[] {
    return this.accounts.get(accountId)?.searchOrder ?? [];
  }

  /**
   * Delivers a message: to the recipients a previous release missed, or, when none are
   * waiting, to all of them again (a second release really does deliver twice). `split`
   * decides which of the targets are reached.
   */
  release(
    message: StoredMessage,
    at: Date,
    requestedBy: string,
    split: (targets: string[]) => Delivery,
  ): Delivery {
    const targets = message.awaiting.length > 0 ? message.awaiting : message.spec.to;
    const delivery = split([...targets]);
    message.awaiting = [...delivery.failed, ...delivery.undelivered];
    const complete = message.awaiting.length === 0;
    if (complete) message.quarantined = false;
    if (!message.operations.includes('QUARANTINE_RELEASE')) {
      message.operations.push('QUARANTINE_RELEASE');
    }
    const stamp = at.toISOString();
    message.log.push(
      entry('QUARANTINE_RELEASE', stamp, stamp, complete ? 'completed' : 'partial', complete, {
        requested_by: requestedBy,
        ...structuredClone(delivery),
      }),
    );
    return delivery;
  }

  /** Reclassifies a message (as an analyst would); returns false when it does not exist. */
  reclassify(accountId: string, id: string, disposition: Disposition): boolean {
    const message = this.find(accountId, id);
    if (!message) return false;
    message.reclassified = disposition;
    message.haystack = undefined;
    return true;
  }

  /** Puts a released message back in quarantine (drift); returns false when it does not exist. */
  requarantine(accountId: string, id: string): boolean {
    const message = this.find(accountId, id);
    if (!message) return false;
    message.quarantined = true;
    return true;
  }

  snapshot(accountId: string): EmulatedMessage[] {
    const box = this.accounts.get(accountId);
    if (!box) return [];
    return box.messages.map((m) => ({
      account_id: accountId,
      details: detailsOf(m),
      action_log: structuredClone(m.log),
      awaiting: [...m.awaiting],
    }));
  }
}
