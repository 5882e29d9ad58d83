// Every piece of text a user or an attacker wrote (reasons, subjects, senders, API error
// messages) passes through one of these before it reaches a comment, a summary, an annotation
// or a log line. Pure.

const ZWSP = '\u200B';

// Characters that reorder or hide text (Trojan Source style spoofing) or are invisible.
const INVISIBLE_SOURCE = '[\\u061C\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2069\\uFEFF]';
const INVISIBLE = new RegExp(INVISIBLE_SOURCE, 'g');
const INVISIBLE_CHAR = new RegExp(`^${INVISIBLE_SOURCE}$`);
// Control characters: C0 (tab and line breaks are handled first), DEL, C1.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

function visibleCode(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Text for GitHub-flavoured markdown (comments, job summaries), safe in a table cell.
 * ASCII punctuation becomes a numeric entity, so it is shown but never parsed as markdown
 * or HTML (no emphasis, links, images, tags, fences or broken tables). A zero-width space
 * follows `@`, `#`, `:` and `.`: after entities are decoded, the text still cannot form a
 * mention, an issue reference or an autolink (a backslash or `&#64;` alone would not stop
 * them). Line breaks become spaces; invisible and control characters become visible codes.
 */
export function escapeMarkdown(text: string, maxLength = 2000): string {
  const clipped = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  let out = '';
  for (const ch of clipped.replace(/\r\n?|\n|\t/g, ' ')) {
    const code = ch.codePointAt(0) as number;
    if (
      (code >= 48 && code <= 57) ||
      (code >= 65 && code <= 90) ||
      (code >= 97 && code <= 122) ||
      code === 32 ||
      code === 44
    ) {
      out += ch;
    } else if (code < 128) {
      if (code < 32 || code === 127) out += visibleCode(ch);
      else {
        out += `&#${code};`;
        if (code === 64 || code === 35 || code === 58 || code === 46) out += `&#8203;`;
      }
    } else if ((code >= 0x80 && code <= 0x9f) || INVISIBLE_CHAR.test(ch)) {
      out += visibleCode(ch);
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Text for one log line or terminal line. Line breaks and control characters (including the
 * ESC of terminal escape sequences) become visible codes, so one value is always one line;
 * `::` and `##[` are broken with a zero-width space so no value can issue a workflow
 * command (`::add-mask::`, `::stop-commands::`, legacy `##[set-output]`), wherever it sits.
 */
export function escapeLogText(text: string, maxLength = 2000): string {
  const clipped = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  return clipped
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, ' ')
    .replace(CONTROL, visibleCode)
    .replace(INVISIBLE, visibleCode)
    .replaceAll('::', `:${ZWSP}:`)
    .replaceAll('##[', `#${ZWSP}#[`);
}

/**
 * An identifier we validated ourselves (message id, account id, a path): letters, digits and
 * `: . _ / -` only, so a code span shows it verbatim. Anything else is escaped as text.
 */
export function codeSpan(id: string): string {
  return /^[0-9A-Za-z:._/-]{1,200}$/.test(id) ? `\`${id}\`` : escapeMarkdown(id);
}
