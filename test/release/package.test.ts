// The npm package as it is published: `npm pack` of this checkout, installed offline into an
// empty folder, runs `quarantine-release demo`. Every library is bundled into dist/, so the
// package has no dependencies and the install needs nothing from the registry.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/cli/main.js';
import { REPO } from '../support/cli.js';

const run = promisify(execFile);
// No update check, audit or funding message: nothing but the install, and no network.
const NPM_ENV = {
  ...process.env,
  npm_config_update_notifier: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
};

interface Packed {
  filename: string;
  files: { path: string }[];
}

let temp: string;
let packed: Packed;
let installed: string;
beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'qr-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', temp], {
    cwd: REPO,
    env: NPM_ENV,
  });
  packed = (JSON.parse(stdout) as Packed[])[0] as Packed;
  installed = join(temp, 'project');
  await run('mkdir', [installed]);
  await writeFile(join(installed, 'package.json'), '{"private": true}\n');
  await run('npm', ['install', '--offline', join(temp, packed.filename)], {
    cwd: installed,
    env: NPM_ENV,
  });
}, 120_000);
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds the bundles, the schemas and the documents, and nothing else', () => {
    // The chunks the two entry points import (their names carry a content hash).
    const chunks = readdirSync(join(REPO, 'dist', 'chunks')).map((f) => `dist/chunks/${f}`);
    const schemas = readdirSync(join(REPO, 'schema')).map((f) => `schema/${f}`);
    expect(chunks.length).toBeGreaterThan(0);
    expect(packed.files.map((f) => f.path).sort()).toEqual(
      [
        'CHANGELOG.md',
        'LICENSE',
        'README.md',
        'SECURITY.md',
        'dist/action.js',
        'dist/cli.js',
        ...chunks,
        'package.json',
        ...schemas,
      ].sort(),
    );
  });

  it('is publishable: not private, a bin, the supported Node lines, no dependencies', async () => {
    const pkg = JSON.parse(
      await readFile(join(installed, 'node_modules', 'quarantine-release', 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe('MIT');
    expect(pkg.bin).toEqual({ 'quarantine-release': 'dist/cli.js' });
    expect(pkg.engines).toEqual({ node: '>=22' });
    expect(pkg.dependencies).toBeUndefined();
    // The CLI says the version it was published as.
    expect(pkg.version).toBe(VERSION);
  });

  it('installs offline into an empty folder, as itself alone, and runs the demo', async () => {
    const lock = JSON.parse(await readFile(join(installed, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    expect(Object.keys(lock.packages)).toEqual(['', 'node_modules/quarantine-release']);
    const bin = join(installed, 'node_modules', '.bin', 'quarantine-release');
    const version = await run(bin, ['--version'], { cwd: installed });
    expect(version.stdout).toBe(`${VERSION}\n`);
    // TMPDIR: the demo keeps the comment's page in a temporary folder, here one of this test.
    const demo = await run(bin, ['demo'], {
      cwd: installed,
      timeout: 60_000,
      env: { ...process.env, TMPDIR: temp },
    });
    expect(demo.stdout).toContain('━━ Done.');
  }, 90_000);
});
