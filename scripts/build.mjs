#!/usr/bin/env node
// Bundles each entry point into one committed ESM file under dist/.
// `--check` rebuilds into memory and fails when dist/ differs, so a stale bundle never lands.
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { staleValidators, writeValidators } from './validators.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

const entries = [
  { in: 'src/action.ts', out: 'dist/action.js', shebang: false },
  { in: 'src/cli.ts', out: 'dist/cli.js', shebang: true },
];

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

// undici is half of each bundle, and most runs of the CLI (validate, plan without credentials)
// never use it. V8 parses every function of a module when it loads it, so the bundle carries
// undici as a string of source, compiled on the first import of it: starting the CLI or the
// action no longer pays the parse of ~500 KB it may not need.
// Built once, for both entry points.
let deferredUndici;
async function buildDeferredUndici() {
  const inner = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, 'node_modules', 'undici', 'index.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20.18',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'warning',
  });
  const source = JSON.stringify(inner.outputFiles[0].text);
  // A CommonJS module: the bundle runs it (and so compiles the source) on first require.
  return {
    contents: `new Function('module', 'exports', 'require', ${source})(module, exports, require);`,
    loader: 'js',
    resolveDir: root,
  };
}

const deferUndici = {
  name: 'defer-undici',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'deferred' }));
    build.onLoad({ filter: /.*/, namespace: 'deferred' }, () => {
      deferredUndici ??= buildDeferredUndici();
      return deferredUndici;
    });
  },
};

// The schemas' validators are generated source that the bundles include: first make or check them.
const stale = check ? await staleValidators() : [];
if (!check) await writeValidators();
for (const entry of entries) {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry.in],
    outfile: entry.out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.18',
    minify: true,
    keepNames: false,
    legalComments: 'none',
    charset: 'utf8',
    banner: { js: `${entry.shebang ? '#!/usr/bin/env node\n' : ''}${requireShim}` },
    write: !check,
    logLevel: 'warning',
    metafile: false,
    plugins: [stubHttpClient, deferUndici],
  });
  if (check) {
    const built = result.outputFiles[0].text;
    let committed = '';
    try {
      committed = await readFile(join(root, entry.out), 'utf8');
    } catch {
      committed = '';
    }
    if (built !== committed) stale.push(relative(root, join(root, entry.out)));
  }
}

if (stale.length > 0) {
  console.error(
    `stale: ${stale.join(', ')} differ from a fresh build. Run \`npm run build\` and commit dist/ and src/core/generated/.`,
  );
  process.exit(1);
}
if (check) console.log('dist/ is fresh');
