// The layers import downward only (entry points → action/cli → adapters → engine → core) and
// no file imports itself back. `npm run lint` enforces both with biome.json; this test holds
// that configuration to the attacks it must refuse, in a scratch tree, so that loosening it
// shows in review.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.js';

const BIOME = join(REPO, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');
const scratch = mkdtempSync(join(tmpdir(), 'qr-layers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The project's own configuration, without what ties it to the checkout (git, schema path).
const config = JSON.parse(readFileSync(join(REPO, 'biome.json'), 'utf8'));
delete config.$schema;
config.vcs = { enabled: false };

let tree = 0;
/** Lints a tree of files laid out under src/ and returns biome's rule names, in order. */
function lint(files: Record<string, string>): string[] {
  const root = join(scratch, String(tree++));
  mkdirSync(root);
  writeFileSync(join(root, 'biome.json'), JSON.stringify(config));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const run = spawnSync(process.execPath, [BIOME, 'lint', '--max-diagnostics', '50', 'src'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return [...`${run.stdout}${run.stderr}`.matchAll(/lint\/\w+\/(\w+)/g)].map((m) => m[1] ?? '');
}

describe('import layers', () => {
  it('accepts imports that go down the layers', () => {
    expect(
      lint({
        'src/core/a.ts': 'export const a = 1;\n',
        'src/engine/b.ts': "import { a } from '../core/a.js';\n\nexport const b = a;\n",
        'src/adapters/c/c.ts':
          "import { a } from '../../core/a.js';\nimport { b } from '../../engine/b.js';\n\nexport const c = a + b;\n",
        'src/action/d.ts': "import { c } from '../adapters/c/c.js';\n\nexport const d = c;\n",
      }),
    ).toEqual([]);
  });

  it.each([
    ['the core importing an adapter', 'src/core/x.ts', '../adapters/github/octokit.js'],
    ['the core importing the engine', 'src/core/plan/x.ts', '../../engine/apply.js'],
    ['the engine importing an adapter', 'src/engine/x.ts', '../adapters/cloudflare/client.js'],
    ['an adapter importing the action', 'src/adapters/github/x.ts', '../../action/toolkit.js'],
    ['an adapter importing an entry point', 'src/adapters/x.ts', '../cli.js'],
    ['the emulator importing the CLI', 'src/emulator/x.ts', '../cli/main.js'],
  ])('refuses %s', (_, file, from) => {
    expect(lint({ [file]: `import { z } from '${from}';\n\nexport const x = z;\n` })).toEqual([
      'noRestrictedImports',
    ]);
  });

  it('refuses a cycle, even one made only of type imports', () => {
    expect(
      lint({
        'src/engine/a.ts':
          "import type { B } from './b.js';\n\nexport interface A {\n  b?: B;\n}\n",
        'src/engine/b.ts':
          "import type { A } from './a.js';\n\nexport interface B {\n  a?: A;\n}\n",
      }),
    ).toEqual(['noImportCycles', 'noImportCycles']);
  });
});
