// The example workflows are what users copy: least privilege, no cancelled releases, secrets
// only where a release happens, and never pull_request_target.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadReleases } from '../../src/core/releases/load.js';
import { REPO } from '../support/cli.js';

const DIR = join(REPO, 'examples', 'workflows');
interface Job {
  permissions?: Record<string, string>;
  environment?: string;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  steps: { uses?: string; with?: Record<string, string> }[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, Job>;
}
const workflows = readdirSync(DIR).map((name) => ({
  name,
  text: readFileSync(join(DIR, name), 'utf8'),
  wf: parse(readFileSync(join(DIR, name), 'utf8')) as Workflow,
}));

describe('example workflows', () => {
  it('there is a plan workflow, an apply workflow, a per-account matrix, a drift check and an audit report', () => {
    expect(workflows.map((w) => w.name).sort()).toEqual([
      'quarantine-release-apply.yml',
      'quarantine-release-audit.yml',
      'quarantine-release-check.yml',
      'quarantine-release-multi-account.yml',
      'quarantine-release-plan.yml',
    ]);
  });

  it('the drift check runs on a schedule with a read-only token and shares the apply queue', () => {
    const check = workflows.find((w) => w.name === 'quarantine-release-check.yml')?.wf as Workflow;
    expect(Object.keys(check.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(check.concurrency).toEqual({
      group: 'quarantine-release-apply',
      'cancel-in-progress': false,
    });
    const job = check.jobs.check as Job;
    expect(job.permissions).toEqual({ contents: 'write', actions: 'read' });
    const step = job.steps.find((s) => s.uses?.endsWith('/quarantine-release@v1'));
    expect(step?.with).toMatchObject({
      mode: 'check',
      'api-token': '${{ secrets.CLOUDFLARE_API_TOKEN_READ }}',
    });
  });

  it('the audit report runs monthly with read-only contents and no secret', () => {
    const audit = workflows.find((w) => w.name === 'quarantine-release-audit.yml')?.wf as Workflow;
    expect(Object.keys(audit.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(JSON.stringify(audit)).not.toContain('secrets.');
    const job = audit.jobs.audit as Job;
    expect(job.permissions).toEqual({ contents: 'read' });
    const step = job.steps.find((s) => s.uses?.endsWith('/quarantine-release@v1'));
    expect(step?.with).toEqual({ mode: 'audit', 'audit-period': 'previous-month' });
  });

  it.each(workflows)(
    '$name: no permissions by default, only what each job needs',
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
        expect(checkout?.with?.['persist-credentials']).toBe(false);
        expect(job.steps.some((s) => s.uses?.endsWith('/quarantine-release@v1'))).toBe(true);
      }
    },
  );

  it('applies only on the default branch or by hand, one at a time, never cancelled, in a protected environment', () => {
    for (const { wf, name } of workflows.filter(
      (w) => w.name.includes('apply') || w.name.includes('multi'),
    )) {
      expect(Object.keys(wf.on).sort(), name).toEqual(['push', 'workflow_dispatch']);
      expect((wf.on.push as { branches: string[] }).branches).toEqual(['main']);
      for (const job of Object.values(wf.jobs)) {
        const concurrency = job.concurrency ?? wf.concurrency;
        expect(concurrency?.['cancel-in-progress'], name).toBe(false);
        expect(job.environment, name).toBe('email-release');
        expect(job.permissions).toEqual({
          contents: 'write',
          'pull-requests': 'write',
          actions: 'read',
        });
        const step = job.steps.find((s) => s.uses?.endsWith('/quarantine-release@v1'));
        expect(step?.with?.['api-token']).toMatch(/^\$\{\{ secrets[.[]/);
      }
    }
  });

  it('the plan workflow gets no Cloudflare secret and cannot write contents', () => {
    const plan = workflows.find((w) => w.name === 'quarantine-release-plan.yml')?.wf as Workflow;
    expect(Object.keys(plan.on)).toEqual(['pull_request']);
    expect(JSON.stringify(plan)).not.toContain('secrets.');
    expect(plan.jobs.plan?.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
  });

  it('the sample releases.yaml is valid', () => {
    const text = readFileSync(join(REPO, 'examples', 'releases.yaml'), 'utf8');
    expect(loadReleases(text, 'releases.yaml').ok).toBe(true);
  });
});
