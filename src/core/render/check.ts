// The drift check's report: text, JSON, markdown. Pure.
import { codeSpan } from './escape.js';
import { type RunReport, renderRunMarkdown, renderRunText, runJsonValue } from './results.js';

export interface CheckReport {
  resolved: RunReport;
  drift: readonly { account_id: string; id: string; released_at: string }[];
  checked: number;
  released: number;
}

export function renderCheckText(r: CheckReport): string {
  const lines: string[] = [];
  if (r.resolved.results.length > 0 || (r.resolved.deferred?.length ?? 0) > 0)
    lines.push('Unresolved sends, read back:', renderRunText(r.resolved).trimEnd());
  if (r.drift.length === 0) lines.push('No drift: no released message is back in quarantine.');
  else {
    lines.push(
      `DRIFT: ${r.drift.length} message(s) the ledger records as released are back in quarantine:`,
    );
    for (const d of r.drift)
      lines.push(`  ${d.id}  (account ${d.account_id}, released ${d.released_at})`);
  }
  lines.push(
    `Checked ${r.checked} of ${r.released} released message(s) this run${r.checked < r.released ? ' (the rest on later runs)' : ''}.`,
  );
  return `${lines.join('\n')}\n`;
}

export function checkJsonValue(r: CheckReport) {
  return {
    drift: r.drift,
    checked: r.checked,
    released: r.released,
    resolved: runJsonValue(r.resolved),
  };
}

export function renderCheckMarkdown(r: CheckReport): string {
  const out = ['## quarantine-release drift check', ''];
  if (r.drift.length === 0) out.push('✅ No drift: no released message is back in quarantine.', '');
  else {
    out.push(
      `> [!CAUTION]\n> ${r.drift.length} message(s) the ledger records as released are back in quarantine.`,
      '',
    );
    out.push('| Message | Account | Released |', '| --- | --- | --- |');
    for (const d of r.drift.slice(0, 1000))
      out.push(`| ${codeSpan(d.id)} | ${codeSpan(d.account_id)} | ${codeSpan(d.released_at)} |`);
    out.push('');
  }
  out.push(
    `Checked ${r.checked} of ${r.released} released message(s) this run${r.checked < r.released ? '; the others on later runs' : ''}.`,
    '',
  );
  if (r.resolved.results.length > 0 || (r.resolved.deferred?.length ?? 0) > 0)
    out.push('### Unresolved sends, read back', '', renderRunMarkdown(r.resolved, 500));
  return out.join('\n');
}
