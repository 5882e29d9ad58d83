// The pull-request comment shown away from GitHub: an HTML page rendered by marked, and a text
// form for the terminal that decodes the escaped user text and escapes it again for a terminal.
import { describe, expect, it } from 'vitest';
import { escapeMarkdown } from '../../src/core/render/escape.js';
import { markdownPage, markdownText } from '../../src/core/render/markdown-view.js';

const HOSTILE = 'Invoice @org/team <img src=x> ```js ::add-mask::secret \u001b[31mred';

const comment = [
  '<!-- quarantine-release account=abc plan=def -->',
  '## quarantine-release · account `023e105f4ecef8ad9ca31a8372d0c353`',
  '',
  '**✅ Applied on merge**',
  '',
  '| Message | State | Details | Error |',
  '| --- | --- | --- | --- |',
  `| \`Q1-2026-11-01T10:00:00-1\` | released | **${escapeMarkdown(HOSTILE)}**<br>from ${escapeMarkdown('Mallory <m@example.com>')} |  |`,
  '',
  '<details><summary>Plan</summary>',
  '',
  '#### To release (1)',
  '',
  '- one',
  '- two',
  '',
  '</details>',
  '',
].join('\n');

describe('markdownText', () => {
  it('reads as text: headings underlined, one line per cell, tags and markers dropped', () => {
    expect(markdownText(comment)).toBe(
      [
        'quarantine-release · account 023e105f4ecef8ad9ca31a8372d0c353',
        '='.repeat(61),
        '',
        '✅ Applied on merge',
        '',
        'Message  Q1-2026-11-01T10:00:00-1',
        'State    released',
        'Details  Invoice @org/team <img src=x> ```js :\u200B:add-mask:\u200B:secret \\u001B[31mred',
        '         from Mallory <m@example.com>',
        '',
        'Plan',
        '',
        'To release (1)',
        '--------------',
        '',
        '- one',
        '- two',
        '',
      ].join('\n'),
    );
  });

  it('never lets a decoded entity become a control character or a workflow command', () => {
    const text = markdownText('x &#27;[2J &#10;::error::boom &#x7;');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may remain
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).not.toMatch(/^::/m);
    expect(text).toContain('\\u001B[2J');
  });
});

describe('markdownPage', () => {
  it('is a whole page that runs nothing and loads nothing, with the comment rendered', () => {
    const page = markdownPage(comment, 'The <comment>');
    expect(page).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain(
      '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
    );
    expect(page).toContain('<title>The &lt;comment&gt;</title>');
    expect(page).toContain('<th>Details</th>');
    expect(page).toContain('<details><summary>Plan</summary>');
    // The escaped user text stays text: marked writes it back escaped for HTML.
    expect(page).toContain('&lt;img src=x&gt;');
    expect(page).not.toContain('<img');
  });
});
