import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Plan, plan } from '../../src/core/plan/plan.js';
import { codeSpan, escapeLogText, escapeMarkdown } from '../../src/core/render/escape.js';
import { type JsonLayout, MappedList, writeJson } from '../../src/core/render/json-stream.js';
import { planJsonValue, writePlanJson } from '../../src/core/render/plan-json.js';
import { renderAccountMarkdown, renderPlanMarkdown } from '../../src/core/render/plan-markdown.js';
import { renderPlanText } from '../../src/core/render/plan-text.js';
import {
  ACCOUNT,
  foldRecords,
  messageId,
  record,
  releasesFile,
  request,
  stored,
} from '../support/factories.js';

/** writeJson() collected into a list of chunks. */
function jsonChunks(value: unknown, layout: JsonLayout = {}): string[] {
  const chunks: string[] = [];
  writeJson(value, (chunk) => chunks.push(chunk), layout);
  return chunks;
}

/** The plan's JSON as the CLI writes it (writePlanJson), as one string. */
function renderPlanJson(planned: Plan): string {
  const chunks: string[] = [];
  writePlanJson(planned, (chunk) => chunks.push(chunk));
  return chunks.join('');
}

const HOSTILE = [
  '@org/team please look',
  '<img src=x onerror=alert(1)>',
  '```js\nalert(1)\n```',
  '::add-mask::secret',
  '::stop-commands::token',
  '##[set-output name=x]y',
  'a | b | c',
  '[click](https://evil.example/phish)',
  'www.evil.example and https://evil.example',
  'fixes #123 and GH-45',
  '&#64;team and &amp;',
  'line one\nline two\r\n::error::boom',
  'spoof \u202Egnp.exe',
  '\u001b[31mred terminal\u001b[0m',
  '<!-- marker --> <details>',
  '*bold* _it_ ~~s~~ # h1',
];

// What rendered markdown text would show once GitHub decodes entities.
const decode = (s: string) =>
  s.replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n))).replace(/&amp;/g, '&');

describe('escapeMarkdown', () => {
  it.each(HOSTILE)('renders %j as inert text', (text) => {
    const out = escapeMarkdown(text);
    // No markup survives: no tags, no pipes, no backticks, no brackets, no line breaks.
    expect(out).not.toMatch(/[<>|`[\]()*_~\n\r]/);
    const shown = decode(out);
    // After decoding, no mention, issue reference or autolink can form.
    expect(shown).not.toMatch(/@[A-Za-z0-9]/);
    expect(shown).not.toMatch(/#[0-9]/);
    expect(shown).not.toMatch(/https?:\/\//);
    expect(shown).not.toMatch(/www\.[a-z]/);
    // Invisible reordering characters are shown as codes.
    expect(shown).not.toMatch(/[\u202A-\u202E]/);
  });

  it('keeps plain words readable', () => {
    expect(escapeMarkdown('Vendor invoice 42, approved')).toBe('Vendor invoice 42, approved');
    expect(escapeMarkdown('Überweisung für Müller')).toBe('Überweisung für Müller');
  });

  it('never lets arbitrary text break out of a table cell', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const out = escapeMarkdown(text);
        expect(out).not.toMatch(/[<>|`\n\r]/);
        expect(decode(out)).not.toMatch(/@[A-Za-z0-9_-]/);
      }),
      { numRuns: 1000 },
    );
  });

  it('shows validated identifiers as code, anything else escaped', () => {
    expect(codeSpan(messageId(1))).toBe(`\`${messageId(1)}\``);
    expect(codeSpan('a`b')).toBe('a&#96;b');
  });
});

describe('escapeLogText', () => {
  it.each(HOSTILE)('keeps %j on one line and unable to issue workflow commands', (text) => {
    const out = escapeLogText(text);
    expect(out).not.toMatch(/[\n\r]/);
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('::');
    expect(out).not.toContain('##[');
    expect(out).not.toMatch(/[\u202A-\u202E]/);
  });
});

describe('plan renderers', () => {
  const hostileFile = releasesFile(
    HOSTILE.map((reason, i) =>
      request({ id: messageId(i + 1), reason, requested_by: '@admin', ticket: 'SEC-1' }),
    ),
  );
  const ledger = foldRecords([
    stored(record({ id: messageId(1), state: 'released', delivered: ['a@example.com'] })),
    stored(
      record({
        id: messageId(2),
        state: 'failed',
        error: { status: 400, message: '<b>@org/x</b> ::warning::' },
      }),
    ),
    stored(record({ id: messageId(3), state: 'unknown' })),
  ]);
  const p = plan(hostileFile, ledger);

  it('markdown: user and API text cannot mention, inject HTML or break the table', () => {
    const md = renderPlanMarkdown(p, { file: 'releases.yaml' });
    const shown = decode(md);
    expect(shown).not.toMatch(/@[A-Za-z0-9]/);
    expect(md).not.toMatch(/<(?!\/?(details|summary)>)/);
    for (const line of md.split('\n').filter((l) => l.startsWith('|'))) {
      // Every table row has exactly the columns of its header: no injected pipes.
      expect((line.match(/(?<!\\)\|/g) ?? []).length).toBeGreaterThanOrEqual(5);
      expect(line).not.toContain('\n');
    }
  });

  it('markdown: a long plan is cut to the limit by whole rows, with a pointer to the rest', () => {
    const many = releasesFile(
      Array.from({ length: 3000 }, (_, i) =>
        request({ id: messageId(i + 1), reason: 'r'.repeat(80) }),
      ),
    );
    const big = plan(many, foldRecords([]));
    const account = big.accounts[0];
    if (!account) throw new Error('no account');
    const full = renderAccountMarkdown(account, { file: 'releases.yaml' });
    expect(full.length).toBeGreaterThan(60_000);
    const cut = renderAccountMarkdown(account, {
      file: 'releases.yaml',
      maxChars: 60_000,
      overflowHint: 'the job summary',
    });
    expect(cut.length).toBeLessThanOrEqual(60_000);
    expect(cut).toContain('more not shown here; see the job summary');
    expect(cut.split('\n').filter((l) => l.startsWith('| `')).length).toBeGreaterThan(100);
    // Only whole rows: the last table line is intact.
    const rows = cut.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.at(-1)?.endsWith(' |')).toBe(true);
  });

  it('text: one line per message, nothing a CI log would execute', () => {
    const text = renderPlanText(p, { file: 'releases.yaml' });
    expect(text).not.toContain('::');
    expect(text).not.toContain('\u001b');
    expect(text.split('\n').filter((l) => l.includes('release  ')).length).toBe(HOSTILE.length - 3);
  });

  it('json: written in pieces, one line, the same text as one JSON.stringify of the plan', () => {
    expect(renderPlanJson(p)).toBe(`${JSON.stringify(planJsonValue(p))}\n`);
    expect(renderPlanJson(p).trimEnd()).not.toContain('\n');
    const written: string[] = [];
    writePlanJson(p, (chunk) => written.push(chunk));
    expect(written.join('')).toBe(renderPlanJson(p));
  });

  it('json: entries no longer in the file carry their state, not their recipients', () => {
    const gone = plan(
      releasesFile([]),
      foldRecords([
        stored(
          record({
            id: messageId(9),
            state: 'partial',
            delivered: ['a@example.com'],
            failed: ['b@example.com'],
          }),
        ),
      ]),
    );
    const json = JSON.parse(renderPlanJson(gone)) as {
      accounts: { orphaned: { id: string; ledger: Record<string, unknown> }[] }[];
    };
    const orphan = json.accounts[0]?.orphaned[0];
    expect(orphan?.id).toBe(messageId(9));
    expect(orphan?.ledger).toEqual({ state: 'partial', attempt: 1, at: expect.any(String) });
    expect(renderPlanJson(gone)).not.toContain('@example.com');
  });

  it('json: lists to_release in file order with account and id', () => {
    const json = JSON.parse(renderPlanJson(p)) as {
      to_release: { account_id: string; id: string }[];
    };
    expect(json.to_release.map((r) => r.id)).toEqual(
      HOSTILE.map((_, i) => messageId(i + 1)).slice(3),
    );
  });
});

describe('JSON in pieces', () => {
  const odd = fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(undefined, () => 1, Symbol('s'), Number.NaN, -0, new Date(0), [undefined]),
    // Boxed primitives are written as their value, not key by key.
    fc.constantFrom(new String('ab'), new Number(3), new Boolean(false)),
    fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.constant(undefined))),
    fc.constant({ toJSON: () => ({ replaced: true }) }),
    fc.constant(Object.assign(Object.create(null), { a: [1, { b: '\n\u2028' }] })),
    // Written as the array it maps to, as JSON.stringify writes it (through toJSON).
    fc.array(fc.jsonValue(), { maxLength: 5 }).map((a) => new MappedList(a, (x) => ({ x }))),
  );
  const nested = fc.array(
    fc.dictionary(fc.constantFrom('a', 'b', '1', '__proto__', 'line\nbreak'), odd),
    { maxLength: 4 },
  );

  it('joins to exactly what JSON.stringify(value, null, indent) writes, at any depth and size', () => {
    fc.assert(
      fc.property(
        fc.oneof(odd, nested, fc.record({ list: nested, x: odd })),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom(0, 2, 4),
        (value, depth, size, indent) => {
          const pieces = jsonChunks(value, { size, depth, indent });
          expect(pieces.join('')).toBe(JSON.stringify(value, null, indent) ?? '');
          // Pieces of about `size`: only the last may be shorter.
          for (const piece of pieces.slice(0, -1))
            expect(piece.length).toBeGreaterThanOrEqual(size);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('joins long arrays, stringified in slices, to the same text', () => {
    const items = Array.from({ length: 1300 }, (_, i) =>
      i % 7 === 0 ? undefined : i % 5 === 0 ? { n: i, list: [i, `s${i}`] } : `item ${i}`,
    );
    const mapped = new MappedList(items, (item) => (item === undefined ? item : { item }));
    const value = { top: items, deeper: [{ section: items, mapped }], mapped };
    for (let depth = 0; depth <= 5; depth++) {
      for (const indent of [0, 2]) {
        const layout = { size: 1000, depth, indent };
        expect(jsonChunks(value, layout).join('')).toBe(JSON.stringify(value, null, indent));
        expect(jsonChunks(items, layout).join('')).toBe(JSON.stringify(items, null, indent));
      }
    }
  });
});

describe('a plan of a very long ledger', () => {
  // 1,000,000 ledger records are up to 500,000 messages, each a line of the plan. Rendering
  // must not pass them as one call's arguments (push(...lines) overflows the stack at about
  // 225,000 in Node 20). No time is asserted here: bench:plan measures it.
  const N = 500_000;
  const at = '2026-11-20T10:00:00.000Z';
  const released = record({ state: 'released', at });
  const huge: Plan = {
    accounts: [
      {
        account_id: ACCOUNT,
        to_release: [
          { request: request({ id: messageId(N + 1) }), attempt: 1, resume: false, priorActs: 0 },
        ],
        to_verify: [],
        already_released: Array.from({ length: N / 2 }, (_, i) => ({
          request: request({ id: messageId(i), index: i }),
          record: released,
        })),
        held: [],
        orphaned: Array.from({ length: N }, (_, i) => ({
          account_id: ACCOUNT,
          id: messageId(N + 2 + i),
          state: 'released' as const,
          attempt: 1,
          at,
        })),
      },
    ],
  };

  it('text: every message on its line, and the totals', () => {
    const text = renderPlanText(huge, { file: 'releases.yaml' });
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('  - gone')).length).toBe(N);
    expect(lines.filter((l) => l.startsWith('  = released')).length).toBe(N / 2);
    expect(text).toContain(
      `1 to release, 0 to verify, ${N / 2} already released, 0 held, ${N} no longer in the file.`,
    );
  });

  it('markdown: renders, and says how many messages are no longer in the file', () => {
    const md = renderPlanMarkdown(huge, { file: 'releases.yaml' });
    expect(md).toContain(String(N));
  });

  it('json: written in pieces that parse back to the same totals', () => {
    const pieces: string[] = [];
    writePlanJson(huge, (piece) => pieces.push(piece));
    const value = JSON.parse(pieces.join('')) as { totals: Record<string, number> };
    expect(value.totals).toMatchObject({ to_release: 1, already_released: N / 2, orphaned: N });
  });
});
