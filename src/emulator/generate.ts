// The seeded mailbox: the same seed and account always give the same messages. Each account's
// mailbox starts with the demo fixtures (one message per role the demo and the tests need),
// drawn first from the account's stream so their ids do not depend on the mailbox size.
import type { MessageSpec } from './mailbox.js';
import { createRandom, deriveSeed, type Random } from './random.js';
import type { Disposition } from './types.js';

export const DEFAULT_ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
export const DEFAULT_SEED = 1;
export const DEFAULT_MESSAGES_PER_ACCOUNT = 60;

/** Subject of the `hostileSubject` fixture: markdown, HTML, a mention and a workflow command. */
export const HOSTILE_SUBJECT = 'Invoice @org/team <img src=x> ```js ::add-mask::secret';
/** Sender display name of the `scriptSender` fixture. */
export const SCRIPT_SENDER_NAME = '<script>alert(1)</script> Payroll';

interface FixtureSpec extends Partial<Pick<MessageSpec, 'released' | 'subject' | 'from_name'>> {
  disposition: Disposition;
  recipients: number;
}

// Order matters: it fixes each fixture's draws from the stream, hence its id.
const FIXTURES = {
  spam: { disposition: 'SPAM', recipients: 3 },
  bulk: { disposition: 'BULK', recipients: 1 },
  malicious: { disposition: 'MALICIOUS', recipients: 2 },
  maliciousBec: { disposition: 'MALICIOUS-BEC', recipients: 1 },
  spoof: { disposition: 'SPOOF', recipients: 2 },
  suspicious: { disposition: 'SUSPICIOUS', recipients: 1 },
  released: { disposition: 'SPAM', recipients: 2, released: true },
  hostileSubject: { disposition: 'SPAM', recipients: 1, subject: HOSTILE_SUBJECT },
  scriptSender: { disposition: 'BULK', recipients: 1, from_name: SCRIPT_SENDER_NAME },
} as const satisfies Record<string, FixtureSpec>;

export type FixtureRole = keyof typeof FIXTURES;
export const FIXTURE_ROLES = Object.keys(FIXTURES) as FixtureRole[];
const MISSING_COUNT = 3;

/**
 * Message ids by role in a generated mailbox. All are quarantined except `released` (released
 * once before the start). `spam` has 3 recipients (for partial deliveries). `missing` are
 * well-formed ids that exist in no mailbox of that seed and account.
 */
export type DemoFixtures = Record<FixtureRole, string> & { missing: string[] };

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// Two weeks of mail before a fixed instant: wall time must not change a seeded mailbox.
const MAILBOX_END_MS = Date.UTC(2026, 10, 1);
const MAILBOX_SPAN_S = 14 * 86_400;

const FIRST_NAMES = ['ana', 'ben', 'chloe', 'dev', 'eli', 'fatima', 'goran', 'hana', 'ivan', 'jun'];
const LAST_NAMES = ['ito', 'khan', 'lopez', 'meyer', 'novak', 'okafor', 'park', 'quinn', 'rossi'];
const RECIPIENT_DOMAIN = 'example.com';

const SENDERS: Record<Disposition, [string, string][]> = {
  MALICIOUS: [
    ['Microsoft 365', 'no-reply@m1crosoft-secure.example.net'],
    ['DocuSign', 'sign@docu-sign-review.example.org'],
  ],
  'MALICIOUS-BEC': [
    ['Dana Whitfield (CEO)', 'dana.whitfield@outlook-mail.example.net'],
    ['Accounts Payable', 'ap@vendor-billing.example.org'],
  ],
  SUSPICIOUS: [
    ['Shipping Update', 'track@parcel-notice.example.net'],
    ['IT Helpdesk', 'helpdesk@it-support-portal.example.org'],
  ],
  SPOOF: [
    ['Example Payroll', 'payroll@example.com'],
    ['Example HR', 'hr@example.com'],
  ],
  SPAM: [
    ['Deals Today', 'offers@deals-today.example.net'],
    ['Crypto Alerts', 'news@crypto-alerts.example.org'],
  ],
  BULK: [
    ['Newsletter', 'news@newsletter.example.net'],
    ['Webinar Team', 'events@webinars.example.org'],
  ],
  ENCRYPTED: [['Secure Mail', 'secure@partner.example.net']],
  EXTERNAL: [['Partner', 'contact@partner.example.net']],
  UNKNOWN: [['Unknown', 'unknown@unknown.example.net']],
  NONE: [
    ['Jordan Lee', 'jordan.lee@partner.example.net'],
    ['Calendar', 'calendar@example.com'],
  ],
};

const SUBJECTS: Record<Disposition, string[]> = {
  MALICIOUS: ['Your password expires today', 'Shared document: Q3 payroll.xlsx'],
  'MALICIOUS-BEC': ['Urgent wire transfer', 'Updated bank details for invoice 4471'],
  SUSPICIOUS: ['Delivery attempt failed', 'Action required: verify your mailbox'],
  SPOOF: ['Payslip for this month', 'Updated HR policy'],
  SPAM: ['You have won a prize', 'Limited offer: 90% off', 'Weekly market tips'],
  BULK: ['Our product newsletter', 'Join our webinar next week', 'Your monthly digest'],
  ENCRYPTED: ['Encrypted message'],
  EXTERNAL: ['Hello from a partner'],
  UNKNOWN: ['(no subject)'],
  NONE: ['Meeting notes', 'Lunch on Friday?', 'Project update'],
};

// Weights of the filler dispositions: mostly spam and bulk, some threats, some clean mail.
const MIX: [Disposition, number][] = [
  ['SPAM', 30],
  ['BULK', 20],
  ['SUSPICIOUS', 13],
  ['MALICIOUS', 12],
  ['NONE', 12],
  ['SPOOF', 8],
  ['MALICIOUS-BEC', 5],
];
const MIX_TOTAL = MIX.reduce((sum, [, weight]) => sum + weight, 0);

class Generator {
  private readonly random: Random;
  private readonly queueIds = new Set<string>();

  constructor(
    seed: number,
    private readonly accountId: string,
  ) {
    this.random = createRandom(deriveSeed(seed, `mailbox:${accountId}`));
  }

  /** A fresh, well-formed id with a queue id not used before in this account. */
  id(scannedMs: number): string {
    let queue = '';
    do queue = this.random.string(ALNUM, 12 + this.random.int(5));
    while (this.queueIds.has(queue));
    this.queueIds.add(queue);
    const serial = 10_000_000 + this.random.int(90_000_000);
    return `${queue}-${new Date(scannedMs).toISOString().slice(0, 19)}-${serial}`;
  }

  scannedMs(): number {
    return MAILBOX_END_MS - (1 + this.random.int(MAILBOX_SPAN_S)) * 1000;
  }

  recipients(count: number): string[] {
    const out = new Set<string>();
    while (out.size < count) {
      const first = this.random.pick(FIRST_NAMES);
      const last = this.random.pick(LAST_NAMES);
      out.add(`${first}.${last}@${RECIPIENT_DOMAIN}`);
    }
    return [...out];
  }

  message(
    disposition: Disposition,
    recipients: number,
    extra: Partial<MessageSpec> = {},
  ): MessageSpec {
    const scannedMs = this.scannedMs();
    const [fromName, from] = this.random.pick(SENDERS[disposition]);
    return {
      account_id: this.accountId,
      id: this.id(scannedMs),
      to: this.recipients(recipients),
      subject: this.random.pick(SUBJECTS[disposition]),
      from,
      from_name: fromName,
      final_disposition: disposition,
      scanned_at: new Date(scannedMs).toISOString(),
      released: false,
      ...extra,
    };
  }

  fixtures(): { specs: MessageSpec[]; ids: DemoFixtures } {
    const specs: MessageSpec[] = [];
    const ids: Partial<Record<FixtureRole, string>> = {};
    for (const role of FIXTURE_ROLES) {
      const { disposition, recipients, ...extra }: FixtureSpec = FIXTURES[role];
      const spec = this.message(disposition, recipients, extra);
      specs.push(spec);
      ids[role] = spec.id;
    }
    const missing = Array.from({ length: MISSING_COUNT }, () => this.id(this.scannedMs()));
    return { specs, ids: { ...(ids as Record<FixtureRole, string>), missing } };
  }

  filler(): MessageSpec {
    let pick = this.random.int(MIX_TOTAL);
    let disposition: Disposition = 'SPAM';
    for (const [d, weight] of MIX) {
      if (pick < weight) {
        disposition = d;
        break;
      }
      pick -= weight;
    }
    const roll = this.random.next();
    const recipients = roll < 0.5 ? 1 : roll < 0.7 ? 2 : roll < 0.85 ? 3 : roll < 0.95 ? 4 : 5;
    return this.message(disposition, recipients, {
      released: disposition !== 'NONE' && this.random.chance(0.04),
      previewed: this.random.chance(0.1),
    });
  }
}

/** The generated mailbox of one account: the fixtures, then seeded filler up to `size`. */
export function generateMailbox(seed: number, accountId: string, size: number): MessageSpec[] {
  const generator = new Generator(seed, accountId);
  const { specs } = generator.fixtures();
  while (specs.length < size) specs.push(generator.filler());
  return specs;
}

/** The fixture ids of the mailbox `generateMailbox(seed, accountId, any size)` gives. */
export function demoFixtures(seed = DEFAULT_SEED, accountId = DEFAULT_ACCOUNT): DemoFixtures {
  return new Generator(seed, accountId).fixtures().ids;
}
