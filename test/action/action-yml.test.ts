// action.yml is what GitHub reads: it must parse, run on node24, and declare exactly the
// inputs the code reads and the outputs it sets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from '../support/cli.js';

const manifest = parse(readFileSync(join(REPO, 'action.yml'), 'utf8')) as {
  runs: { using: string; main: string };
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
  branding: { icon: string; color: string };
};
const source = (path: string) => readFileSync(join(REPO, 'src', path), 'utf8');

describe('action.yml', () => {
  it('runs the committed bundle on node24', () => {
    expect(manifest.runs).toEqual({ using: 'node24', main: 'dist/action.js' });
    expect(manifest.branding.icon).toBeTruthy();
  });

  it('declares exactly the inputs the settings read, each documented', () => {
    const read = [
      // A call may be wrapped over lines by the formatter.
      ...source('action/settings.ts').matchAll(
        /(?:input|bool|int|repoPath)\(\s*env,\s*'([a-z-]+)'/g,
      ),
    ].map((m) => m[1]);
    expect(Object.keys(manifest.inputs).sort()).toEqual([...new Set(read)].sort());
    for (const [name, spec] of Object.entries(manifest.inputs))
      expect(spec.description.length, name).toBeGreaterThan(20);
    expect(manifest.inputs['github-token']?.default).toBe('${{ github.token }}');
  });

  it('declares every output the action sets', () => {
    const run = [
      'action/main.ts',
      'action/plan-mode.ts',
      'action/apply-mode.ts',
      'action/check-mode.ts',
      'action/audit-mode.ts',
      'action/report.ts',
    ]
      .map(source)
      .join('\n');
    const set = [...run.matchAll(/setOutput\('([a-z-]+)'/g)].map((m) => m[1]);
    // Counts per state are set in a loop over the ledger states.
    const states = ['released', 'partial', 'failed', 'unknown', 'pending'];
    expect(run).toContain(
      'for (const [state, n] of Object.entries(counts)) toolkit.setOutput(state, n)',
    );
    expect(Object.keys(manifest.outputs).sort()).toEqual([...new Set([...set, ...states])].sort());
  });
});
