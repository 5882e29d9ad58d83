// A pull-request comment (GitHub-flavoured markdown) shown away from GitHub: as an HTML page,
// rendered by marked, and as plain text for a terminal. Used by the demo. Pure.
//
// The comments are built with escapeMarkdown, so every piece of user text in them is made of
// numeric entities and zero-width spaces that only GitHub's renderer turns back into text. The
// page keeps them (a browser decodes them, and they cannot form markup); the text form decodes
// them, drops the zero-width spaces (there is no mention or link to break in a terminal), and
// escapes each line for the terminal again.
import { Marked, type Token, type Tokens } from 'marked';
import { escapeLogText } from './escape.js';

const marked = new Marked({ gfm: true, async: false });
const ZWSP = '\u200B';

const PAGE_STYLE = `body{font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1f2328}
code{font:85% ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eff1f3;padding:.2em .4em;border-radius:6px}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #d1d9e0;padding:6px 12px;vertical-align:top;text-align:left}
details{margin:1em 0}summary{cursor:pointer;font-weight:600}h2{border-bottom:1px solid #d1d9e0;padding-bottom:.3em}`;

/** A complete HTML page showing `markdown` as GitHub would (scripts and remote loads refused). */
export function markdownPage(markdown: string, title: string): string {
  const body = marked.parse(markdown) as string;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
${body}</body>
</html>
`;
}

/**
 * `markdown` as plain text: headings underlined, each table row as `Column  value` lines (a
 * `<br>` in a cell starts a new line), HTML comments and tags dropped, entities decoded and
 * zero-width spaces dropped. Every line is then escaped for a terminal or a log.
 */
export function markdownText(markdown: string): string {
  const text = blocks(marked.lexer(markdown))
    .join('\n\n')
    .replaceAll(ZWSP, '')
    .replace(/\n{3,}/g, '\n\n');
  return `${text
    .split('\n')
    .map((line) => escapeLogText(line).trimEnd())
    .join('\n')
    .trim()}\n`;
}

function blocks(tokens: readonly Token[]): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    const text = block(token);
    if (text.trim() !== '') out.push(text);
  }
  return out;
}

function block(token: Token): string {
  switch (token.type) {
    case 'heading': {
      const text = inline((token as Tokens.Heading).tokens);
      const rule = (token as Tokens.Heading).depth <= 2 ? '=' : '-';
      return `${text}\n${rule.repeat(Math.min(text.length, 100))}`;
    }
    case 'paragraph':
      return inline((token as Tokens.Paragraph).tokens);
    case 'table':
      return table(token as Tokens.Table);
    case 'list':
      return (token as Tokens.List).items
        .map((item) => `- ${blocks(item.tokens).join('\n').replace(/\n/g, '\n  ')}`)
        .join('\n');
    case 'blockquote':
      return blocks((token as Tokens.Blockquote).tokens)
        .join('\n\n')
        .replace(/^/gm, '> ');
    case 'code':
      return (token as Tokens.Code).text.replace(/^/gm, '    ');
    case 'hr':
      return '---';
    case 'html':
      return html((token as Tokens.HTML).text);
    case 'text':
      return inline([token]);
    default:
      return '';
  }
}

/** One block per row: each non-empty cell on its own line, after its column's name. */
function table(token: Tokens.Table): string {
  const names = token.header.map((cell) => inline(cell.tokens));
  const width = Math.max(...names.map((n) => n.length));
  return token.rows
    .map((row) =>
      row
        .map((cell, i) => [names[i] ?? '', inline(cell.tokens).trim()] as const)
        .filter(([, value]) => value !== '')
        .map(([name, value]) =>
          `${name.padEnd(width)}  ${value}`.replace(/\n/g, `\n${' '.repeat(width + 2)}`),
        )
        .join('\n'),
    )
    .join('\n\n');
}

function inline(tokens: readonly Token[]): string {
  let out = '';
  for (const token of tokens) {
    switch (token.type) {
      case 'text':
        out += (token as Tokens.Text).tokens
          ? inline((token as Tokens.Text).tokens as Token[])
          : decode((token as Tokens.Text).text);
        break;
      case 'escape':
        out += (token as Tokens.Escape).text;
        break;
      case 'codespan':
        out += decode((token as Tokens.Codespan).text);
        break;
      case 'strong':
      case 'em':
      case 'del':
      case 'link':
        out += inline((token as Tokens.Strong | Tokens.Link).tokens);
        break;
      case 'image':
        out += decode((token as Tokens.Image).text);
        break;
      case 'br':
        out += '\n';
        break;
      case 'html':
        out += /^<br\s*\/?>$/i.test((token as Tokens.HTML).text.trim())
          ? '\n'
          : html((token as Tokens.HTML).text);
        break;
      default:
        out += 'raw' in token ? decode(token.raw) : '';
    }
  }
  return out;
}

/** The text of an HTML block: comments and tags dropped (`<summary>Plan</summary>` is "Plan"). */
function html(text: string): string {
  return decode(
    text
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<[^>]*>/g, ''),
  ).trim();
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Entities back to characters (marked leaves some in the text of its tokens). */
function decode(text: string): string {
  return text.replace(
    /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(amp|lt|gt|quot|apos));/gi,
    (m, d, h, n) => {
      if (n) return NAMED[(n as string).toLowerCase()] ?? m;
      const code = d ? Number(d) : Number.parseInt(h as string, 16);
      return code > 0x10ffff ? m : String.fromCodePoint(code);
    },
  );
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
