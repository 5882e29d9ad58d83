// What a reviewer sees of a message: its disposition, and unless redacted its subject, sender,
// recipients, scan time and detection reasons. All of it is attacker-controlled text. Pure.
import type { MessageView } from '../release/readback.js';
import { escapeLogText, escapeMarkdown } from './escape.js';

export interface DetailOptions {
  /** Hide subjects and addresses (public repositories): dispositions and counts only. */
  redact: boolean;
}

/** Dispositions a reviewer must not miss get a mark. */
const DANGER = new Set(['MALICIOUS', 'MALICIOUS-BEC', 'SPOOF', 'SUSPICIOUS']);

export function dispositionLabel(m: MessageView | undefined): string {
  if (!m?.disposition) return '?';
  // Escaped although adapters only pass the API's own values: it is API text all the same.
  const text = escapeMarkdown(m.disposition, 30);
  return DANGER.has(m.disposition) ? `⚠️ ${text}` : text;
}

/** One markdown cell: subject, sender, recipients, scan time, reasons, quarantine state. */
export function messageCellMarkdown(m: MessageView | undefined, o: DetailOptions): string {
  if (!m) return '';
  const parts: string[] = [];
  const count = m.to?.length ?? 0;
  if (o.redact) {
    parts.push(`subject and addresses hidden · ${count} recipient${count === 1 ? '' : 's'}`);
  } else {
    parts.push(`**${escapeMarkdown(m.subject ?? '(no subject)', 200)}**`);
    const sender = [
      m.fromName ? escapeMarkdown(m.fromName, 100) : '',
      m.from ? escapeMarkdown(`<${m.from}>`, 200) : '',
    ]
      .filter(Boolean)
      .join(' ');
    if (sender) parts.push(`from ${sender}`);
    if (count > 0) {
      const shown = (m.to ?? []).slice(0, 3).map((t) => escapeMarkdown(t, 100));
      parts.push(`to ${shown.join(', ')}${count > 3 ? ` and ${count - 3} more` : ''}`);
    }
    const reasons = m.detectionReasons?.slice(0, 3).map((r) => escapeMarkdown(r, 120));
    if (reasons?.length) parts.push(`reasons: ${reasons.join('; ')}`);
  }
  if (m.scannedAt) parts.push(`scanned ${escapeMarkdown(m.scannedAt, 40)}`);
  parts.push(m.quarantined ? 'in quarantine' : '**not in quarantine**');
  return parts.join('<br>');
}

/** The same on one log line. */
export function messageLineText(m: MessageView | undefined, o: DetailOptions): string {
  if (!m) return '';
  const count = m.to?.length ?? 0;
  const parts = [escapeLogText(m.disposition ?? '?', 30)];
  if (o.redact) parts.push(`${count} recipient(s), subject and addresses hidden`);
  else {
    parts.push(`"${escapeLogText(m.subject ?? '(no subject)', 120)}"`);
    const sender = [
      m.fromName ? escapeLogText(m.fromName, 80) : '',
      m.from ? `<${escapeLogText(m.from, 120)}>` : '',
    ]
      .filter(Boolean)
      .join(' ');
    if (sender) parts.push(`from ${sender}`);
    if (count > 0) {
      const shown = (m.to ?? []).slice(0, 3).map((t) => escapeLogText(t, 80));
      parts.push(`to ${shown.join(', ')}${count > 3 ? ` +${count - 3}` : ''}`);
    }
    const reasons = m.detectionReasons?.slice(0, 3).map((r) => escapeLogText(r, 80));
    if (reasons?.length) parts.push(`reasons: ${reasons.join('; ')}`);
  }
  if (m.scannedAt) parts.push(`scanned ${escapeLogText(m.scannedAt, 40)}`);
  parts.push(m.quarantined ? 'in quarantine' : 'NOT in quarantine');
  return parts.join(' · ');
}
