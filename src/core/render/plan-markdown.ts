// The plan as GitHub markdown, for a pull-request comment or a job summary. Pure.
// All user text goes through escapeMarkdown; ids are validated and shown as code.
import type { Diagnostic } from '../diagnostics.js';
import type { LedgerRecord } from '../ledger/record.js';
import { type AccountPlan, type Plan, planTotals } from '../plan/plan.js';
import { refusalText } from '../plan/refusals.js';
import { isSearchProblem, searchStatusText } from '../plan/selectors.js';
import type { MessageView } from '../release/readback.js';
import type { ReleaseRequest } from '../requests/load.js';
import { codeSpan, escapeMarkdown } from './escape.js';
import { dispositionLabel, messageCellMarkdown } from './message.js';
import { recipientText } from './results.js';

export interface MarkdownContext {
  /** Path of releases.yaml, for line references. */
  file: string;
  /** Upper bound on the output length; long sections are cut with a pointer to `overflowHint`. */
  maxChars?: number;
  /** Where the full plan can be read when this one is cut (e.g. "the job summary"). */
  overflowHint?: string;
  /** Hide subjects and addresses (public repositories). */
  redact?: boolean;
  /** At most this many messages are shown with their details; the rest by id and disposition. */
  detailsCap?: number;
}

export const DEFAULT_DETAILS_CAP = 200;

/** The columns of what a request says, after the message's own. */
const ASKED_HEADER = ['Reason', 'Ticket', 'Requested by', 'Line'];

/** GitHub refuses comments over 65,536 characters; stay well below. */
export const COMMENT_MAX_CHARS = 60_000;

interface Section {
  title: string;
  header: string[];
  rows: string[];
  /** Collapsed in a <details> block. */
  collapsed?: boolean;
  /**
   * Lower drops rows first when the output must shrink. What needs attention (refused, and
   * guarded dispositions released on an acknowledgement) is dropped only when nothing else is
   * left to drop, and the summary line counts it whatever is shown.
   */
  priority: number;
}

/** Entries released on an acknowledgement of a guarded disposition: a reviewer must see them. */
export function acknowledgedOf(account: AccountPlan): AccountPlan['to_release'] {
  return account.to_release.filter((i) => i.request.acknowledge !== undefined);
}

export function renderAccountMarkdown(account: AccountPlan, ctx: MarkdownContext): string {
  const line = (r: { line: number }) => codeSpan(`${ctx.file}:${r.line}`);
  const opts = { redact: ctx.redact ?? false };
  const cap = ctx.detailsCap ?? DEFAULT_DETAILS_CAP;
  let detailed = 0;
  // Details for the first `cap` messages (refused ones first); the rest by id and disposition.
  const details = (m: MessageView | undefined) => {
    if (!m) return '';
    if (detailed >= cap) return 'details not shown (see the cap below)';
    detailed++;
    return messageCellMarkdown(m, opts);
  };
  const reviewed = account.checked === true;
  // Dispositions and details are known only when the messages were looked up.
  const lookedUpHeader = reviewed ? ['Disposition', 'Details'] : [];
  const lookedUp = (m: MessageView | undefined) =>
    reviewed ? [dispositionLabel(m), details(m)] : [];
  const asked = (r: ReleaseRequest) => [
    escapeMarkdown(r.reason, 300),
    r.ticket ? escapeMarkdown(r.ticket) : '',
    r.requested_by ? escapeMarkdown(r.requested_by) : '',
    line(r),
  ];
  const refused = account.refused ?? [];
  const refusedRows = refused.map((r) =>
    row([
      codeSpan(r.item.request.id),
      escapeMarkdown(refusalText(r.reason), 300),
      dispositionLabel(r.message),
      details(r.message),
      line(r.item.request),
    ]),
  );
  const acknowledged = acknowledgedOf(account);
  const acknowledgedRows = acknowledged.map((i) =>
    row([
      codeSpan(i.request.id),
      `⚠️ ${escapeMarkdown(i.request.acknowledge ?? '')}`,
      ...lookedUp(i.message),
      ...asked(i.request),
    ]),
  );
  const releaseRows = account.to_release
    .filter((i) => i.request.acknowledge === undefined)
    .map((i) =>
      row([
        codeSpan(i.request.id),
        ...lookedUp(i.message),
        i.resume ? `${i.attempt} (resume)` : String(i.attempt),
        ...asked(i.request),
      ]),
    );
  // Searches first: what each one found is the set a reviewer approves.
  const searchRows = (account.searches ?? []).map((o) =>
    row([
      escapeMarkdown(o.request.text, 600),
      `${isSearchProblem(o.status) ? '⛔ ' : ''}${escapeMarkdown(searchStatusText(o.status), 400)}`,
      o.request.acknowledge ? `⚠️ ${escapeMarkdown(o.request.acknowledge)}` : '',
      escapeMarkdown(o.request.reason, 300),
      line(o.request),
    ]),
  );
  const sections: Section[] = [
    {
      title: '🔎 Searches: each message found is listed below, and only those are released',
      header: ['Search', 'Found', 'Acknowledges', 'Reason', 'Line'],
      rows: searchRows,
      priority: 7,
    },
    {
      title: '⛔ Refused: not released',
      header: ['Message', 'Why', 'Disposition', 'Details', 'Line'],
      rows: refusedRows,
      priority: 6,
    },
    {
      title: '⚠️ To release on an acknowledgement of a guarded disposition',
      header: ['Message', 'Acknowledges', ...lookedUpHeader, ...ASKED_HEADER],
      rows: acknowledgedRows,
      priority: 5,
    },
    {
      title: 'To release',
      header: ['Message', ...lookedUpHeader, 'Attempt', ...ASKED_HEADER],
      rows: releaseRows,
      priority: 4,
    },
    {
      title: 'To verify before anything is sent again',
      header: ['Message', 'Why', 'Since', 'Line'],
      rows: account.to_verify.map((i) =>
        row([
          codeSpan(i.id),
          i.why === 'alias'
            ? `same message as ${codeSpan(i.record.id)} (${i.record.state})`
            : `${i.why}: the outcome of the last send is not known`,
          escapeMarkdown(i.record.at),
          i.request ? line(i.request) : 'no longer in the file',
        ]),
      ),
      priority: 3,
    },
    {
      title: 'Held: partial or failed, not sent again',
      header: ['Message', 'State', 'Recipients', 'Error', 'To send again', 'Line'],
      rows: account.held.map((i) =>
        row([
          codeSpan(i.request.id),
          `${i.record.state} (attempt ${i.record.attempt})`,
          recipientText(i.record),
          i.record.error ? escapeMarkdown(errorLabel(i.record), 200) : '',
          `set ${codeSpan(`retry: ${i.record.attempt + 1}`)}`,
          line(i.request),
        ]),
      ),
      priority: 2,
    },
    {
      title: 'Already released',
      header: ['Message', 'Released', 'Recipients', 'Line'],
      rows: account.already_released.map((i) =>
        row([
          codeSpan(i.request.id),
          escapeMarkdown(i.record.at),
          recipientText(i.record),
          line(i.request),
        ]),
      ),
      collapsed: true,
      priority: 1,
    },
    {
      title: 'In the ledger, no longer in the file (nothing is undone)',
      header: ['Message', 'State', 'Since'],
      rows: account.orphaned.map((i) => row([codeSpan(i.id), i.state, escapeMarkdown(i.at)])),
      collapsed: true,
      priority: 0,
    },
  ];

  const notes: string[] = [];
  if (!reviewed)
    notes.push(
      '_Messages were not looked up (no Cloudflare credentials here): their dispositions are checked on merge, before anything is released._',
    );
  if (detailed >= cap && refused.length + account.to_release.length > cap) {
    notes.push(
      `_Details are shown for the first ${cap} messages; every message is still checked before it is released._`,
    );
  }
  if (opts.redact) notes.push('_Subjects and addresses are hidden (public repository)._');
  const head = [
    `### quarantine-release plan for account ${codeSpan(account.account_id)}`,
    '',
    summaryLine(account),
    '',
    ...notes.flatMap((n) => [n, '']),
    '',
  ].join('\n');
  return fitWithin(head, sections, ctx);
}

/** Every account, one after the other (job summaries). */
export function renderPlanMarkdown(plan: Plan, ctx: MarkdownContext): string {
  if (plan.accounts.length === 0) return '### quarantine-release plan\n\nNothing to do.\n';
  const t = planTotals(plan);
  const intro = `**Total:** ${t.refused ? `${t.refused} refused, ` : ''}${t.to_release} to release, ${t.to_verify} to verify, ${t.already_released} already released, ${t.held} held, ${t.orphaned} no longer in the file.\n\n`;
  const per = ctx.maxChars
    ? Math.floor((ctx.maxChars - intro.length) / plan.accounts.length)
    : undefined;
  const parts = plan.accounts.map((a) =>
    renderAccountMarkdown(a, per ? { ...ctx, maxChars: per } : ctx),
  );
  return intro + parts.join('\n');
}

export function renderDiagnosticsMarkdown(
  errors: readonly Diagnostic[],
  title: string,
  max: number,
): string {
  // The place is ours (a checked path and numbers); the message may quote hostile text.
  const shown = errors
    .slice(0, max)
    .map(
      (d) => `- ${codeSpan(`${d.file}:${d.line}:${d.column}`)} ${escapeMarkdown(d.message, 600)}`,
    );
  const more = errors.length > max ? [`- … and ${errors.length - max} more`] : [];
  return [`### ${title}`, '', ...shown, ...more, ''].join('\n');
}

/** What a reviewer must look at first, counted: refused entries and acknowledged ones. */
export function attentionLine(a: AccountPlan): string | undefined {
  const parts: string[] = [];
  if (a.refused?.length) parts.push(`⛔ ${a.refused.length} refused`);
  const searchRefused = (a.searches ?? []).filter((o) => isSearchProblem(o.status)).length;
  if (searchRefused > 0) parts.push(`⛔ ${searchRefused} search(es) refused or not resolved`);
  const acknowledged = acknowledgedOf(a);
  if (acknowledged.length > 0) {
    const by = new Map<string, number>();
    for (const i of acknowledged)
      by.set(i.request.acknowledge as string, (by.get(i.request.acknowledge as string) ?? 0) + 1);
    const list = [...by].map(([d, n]) => `${n} ${escapeMarkdown(d)}`).join(', ');
    parts.push(`⚠️ ${acknowledged.length} released on an acknowledgement (${list})`);
  }
  return parts.length > 0 ? parts.map((p) => `**${p}**`).join(' · ') : undefined;
}

function summaryLine(a: AccountPlan): string {
  const attention = attentionLine(a);
  return [
    ...(attention ? [attention] : []),
    `**${a.to_release.length} to release**`,
    `${a.to_verify.length} to verify`,
    `${a.already_released.length} already released`,
    `${a.held.length} held`,
    `${a.orphaned.length} no longer in the file`,
  ].join(' · ');
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function errorLabel(record: LedgerRecord): string {
  const e = record.error;
  if (!e) return '';
  return `${e.status ? `HTTP ${e.status}: ` : ''}${e.message}`;
}

function renderSection(s: Section, shown: number, hint: string): string {
  if (s.rows.length === 0) return '';
  const table = [row(s.header), row(s.header.map(() => '---')), ...s.rows.slice(0, shown)];
  const cut = s.rows.length - shown;
  if (cut > 0) table.push('', `… ${cut} more not shown here; ${hint}.`);
  const title = `${s.title} (${s.rows.length})`;
  return s.collapsed
    ? `<details><summary>${title}</summary>\n\n${table.join('\n')}\n\n</details>\n\n`
    : `#### ${title}\n\n${table.join('\n')}\n\n`;
}

/**
 * Renders every section, dropping rows from the least important sections first until the
 * text fits. Only whole rows are dropped, so no table, entity or <details> is ever cut open.
 */
function fitWithin(head: string, sections: Section[], ctx: MarkdownContext): string {
  const hint = `see ${ctx.overflowHint ?? 'the full plan in the job summary'}`;
  const shown = sections.map((s) => s.rows.length);
  const render = () =>
    head + sections.map((s, i) => renderSection(s, shown[i] ?? 0, hint)).join('');
  let text = render();
  if (ctx.maxChars === undefined || text.length <= ctx.maxChars) return text;

  let excess = text.length - ctx.maxChars + 200; // room for the "not shown" lines
  const order = sections.map((s, i) => ({ s, i })).sort((a, b) => a.s.priority - b.s.priority);
  for (const { s, i } of order) {
    while (excess > 0 && (shown[i] ?? 0) > 0) {
      const n = (shown[i] ?? 0) - 1;
      shown[i] = n;
      excess -= (s.rows[n]?.length ?? 0) + 1;
    }
  }
  text = render();
  // Rows were estimated; cut whole rows further in the unlikely case the estimate fell short.
  while (text.length > ctx.maxChars && shown.some((n) => n > 0)) {
    const i = order.find(({ i }) => (shown[i] ?? 0) > 0)?.i ?? 0;
    shown[i] = Math.max(0, (shown[i] ?? 0) - 10);
    text = render();
  }
  return text;
}
