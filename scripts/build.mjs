#!/usr/bin/env node
// Bundles the entry points into committed ESM files under dist/: one file per entry point
// (dist/cli.js, dist/action.js) plus the chunks they share or import lazily (dist/chunks/).
// What a command does not use (undici, yaml, the engine, ...) is in a chunk that is only
// loaded, and parsed, when the command imports it: ordinary code, nothing compiled from
// strings. `--check` rebuilds into memory and fails when dist/ differs, so a stale bundle
// never lands.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { staleValidators, writeValidators } from './validators.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const dist = join(root, 'dist');
const CHUNKS = 'chunks';

// CommonJS dependencies (tunnel, via @actions/http-client) call require('net'); ESM bundles
// have no `require`, so define one from import.meta.url.
const requireShim =
  "import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);";

// See scripts/stubs/actions-http-client.mjs for why this module is replaced.
const stubHttpClient = {
  name: 'stub-actions-http-client',
  setup(build) {
    build.onResolve({ filter: /^@actions\/http-client(\/|$)/ }, () => ({
      path: join(root, 'scripts', 'stubs', 'actions-http-client.mjs'),
    }));
  },
};

// The schemas' validators are generated source that the bundles include: first make or check them.
const stale = check ? await staleValidators() : [];
if (!check) await writeValidators();
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts', action: 'src/action.ts' },
  outdir: dist,
  entryNames: '[name]',
  chunkNames: `${CHUNKS}/[name]-[hash]`,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.18',
  minify: true,
  keepNames: false,
  legalComments: 'none',
  charset: 'utf8',
  // src/cli.ts starts with its own `#!/usr/bin/env node`, which esbuild keeps.
  banner: { js: requireShim },
  write: false,
  logLevel: 'warning',
  metafile: false,
  plugins: [stubHttpClient],
});

/** Every .js file under dist/, as paths relative to the repository. */
async function committedFiles() {
  const files = [];
  for (const dir of [dist, join(dist, CHUNKS)]) {
    const names = await readdir(dir).catch(() => []);
    for (const name of names.filter((n) => n.endsWith('.js'))) files.push(join(dir, name));
  }
  return files.map((f) => relative(root, f));
}

const built = new Map(result.outputFiles.map((f) => [relative(root, f.path), f.text]));
if (check) {
  for (const [path, text] of built) {
    const committed = await readFile(join(root, path), 'utf8').catch(() => undefined);
    if (committed !== text) stale.push(path);
  }
  for (const path of await committedFiles())
    if (!built.has(path)) stale.push(`${path} (not built)`);
} else {
  // Chunk names carry a hash of their content: remove the old ones first.
  await rm(join(dist, CHUNKS), { recursive: true, force: true });
  await mkdir(join(dist, CHUNKS), { recursive: true });
  for (const [path, text] of built) await writeFile(join(root, path), text);
}

if (stale.length > 0) {
  console.error(
    `stale: ${stale.join(', ')} differ from a fresh build. Run \`npm run build\` and commit dist/ and src/core/generated/.`,
  );
  process.exit(1);
}
if (check) console.log('dist/ is fresh');
