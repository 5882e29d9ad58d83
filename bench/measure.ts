// What the process benchmarks share (bench/plan.ts, bench/audit.ts): each side runs as its own
// child process of the same node binary, with a preloaded probe that records the process's
// own resource usage as it exits; wall time is from spawn to exit. A baseline script is
// bundled exactly as the CLI is, so both sides load their code the same way.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

const PROBE = `import { writeFileSync } from 'node:fs';
process.on('exit', () => {
  const u = process.resourceUsage();
  writeFileSync(process.env.QR_BENCH_USAGE, JSON.stringify({ maxRssKb: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime }));
});
`;

/** Writes the probe into `work` and returns its path, for run(). */
export async function writeProbe(work: string): Promise<string> {
  const probe = join(work, 'probe.mjs');
  await writeFile(probe, PROBE);
  return probe;
}

export interface Sample {
  ms: number;
  cpuMs: number;
  rssMb: number;
}

/**
 * Runs `node --import probe ...args` in `work` with stdout to the file `out`, and no
 * Cloudflare credentials in the environment. Throws when it fails.
 */
export function run(
  node: string,
  probe: string,
  args: string[],
  work: string,
  out: string,
): Sample {
  const usage = join(work, 'usage.json');
  const fd = openSync(out, 'w');
  const start = process.hrtime.bigint();
  let result: ReturnType<typeof spawnSync>;
  try {
    result = spawnSync(node, ['--import', probe, ...args], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', QR_BENCH_USAGE: usage },
      stdio: ['ignore', fd, 'pipe'],
      encoding: 'utf8',
      maxBuffer: 1024 * 1024,
    });
  } finally {
    closeSync(fd);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(
      `${args[0]} exited with ${result.status}: ${String(result.stderr).slice(-2000)}`,
    );
  const u = JSON.parse(readFileSync(usage, 'utf8')) as { maxRssKb: number; cpuUs: number };
  return { ms, cpuMs: u.cpuUs / 1000, rssMb: u.maxRssKb / 1024 };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Bundles a baseline script as scripts/build.mjs bundles the CLI: one minified ESM file. */
export async function bundleLikeCli(root: string, entry: string, outfile: string): Promise<void> {
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.18',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
    // CommonJS dependencies (yaml's node build) require node built-ins, as in the CLI's bundle.
    banner: {
      js: "import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);",
    },
  });
}

/** Whether dist/cli.js differs from a fresh build of src/ (the figures would be of old code). */
export function distIsStale(root: string, node: string): boolean {
  const check = spawnSync(node, [join(root, 'scripts', 'build.mjs'), '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  return check.status !== 0;
}
