// Benchmark: `plan` over 10,000 entries and a 100,000-record ledger, against a floor measured
// in the same run: a bare script that only parses the same files with the same libraries
// (yaml's parse for releases.yaml, JSON.parse per ledger line).
//
//   npm run bench:plan [-- --runs 7 --entries 10000 --records 100000]
//
// Each measurement runs in a fresh child process (so peak RSS is its own), alternating floor
// and plan; the median of the runs is reported.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const self = fileURLToPath(import.meta.url);
const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    generate: { type: 'string' },
    dir: { type: 'string' },
    runs: { type: 'string', default: '7' },
    entries: { type: 'string', default: '10000' },
    records: { type: 'string', default: '100000' },
  },
});

const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
const id = (n: number) =>
  `Q${n.toString(36).toUpperCase().padStart(13, '0')}-2026-${String(1 + (n % 12)).padStart(2, '0')}-1${n % 10}T10:00:00-${10000000 + n}`;

async function generate(dir: string, entries: number, records: number): Promise<void> {
  // The ledger covers ids 0..records/2-1 with a pending then an outcome record each; the
  // file asks for the last entries/2 of those and entries/2 new ones.
  const yaml = ['version: 1', `account_id: ${ACCOUNT}`, 'releases:'];
  for (let i = 0; i < entries; i++) {
    const n = records / 2 - entries / 2 + i;
    yaml.push(
      `  - id: ${id(n)}`,
      `    reason: "False positive from vendor ${i % 97}, ticket checked"`,
    );
    if (i % 3 === 0) yaml.push(`    ticket: SEC-${1000 + i}`);
    if (i % 4 === 0) yaml.push('    requested_by: alice@example.com');
  }
  await writeFile(join(dir, 'releases.yaml'), `${yaml.join('\n')}\n`);
  const ledgerDir = join(dir, 'releases.ledger');
  await mkdir(ledgerDir, { recursive: true });
  const shards = new Map<string, string[]>();
  for (let r = 0; r < records / 2; r++) {
    const n = r;
    const month = `2026-${String(1 + (r % 11)).padStart(2, '0')}`;
    const at = `${month}-15T10:00:00.000Z`;
    const base = { v: 1, account_id: ACCOUNT, id: id(n) };
    const lines = shards.get(month) ?? [];
    lines.push(
      JSON.stringify({
        ...base,
        seq: 1,
        attempt: 1,
        state: 'pending',
        at,
        reason: 'False positive',
        run: 'bench',
      }),
      JSON.stringify({
        ...base,
        seq: 2,
        attempt: 1,
        state: r % 10 === 0 ? 'partial' : 'released',
        at,
        via: 'release',
        delivered: ['alice@example.com', 'bob@example.com'],
        ...(r % 10 === 0 ? { failed: ['carol@example.com'] } : {}),
        run: 'bench',
      }),
    );
    shards.set(month, lines);
  }
  for (const [month, lines] of shards)
    await writeFile(join(ledgerDir, `${month}.jsonl`), `${lines.join('\n')}\n`);
}

async function child(kind: string, dir: string): Promise<void> {
  const start = process.hrtime.bigint();
  let summary: unknown;
  if (kind === 'floor') {
    const { parse } = await import('yaml');
    const doc = parse(await readFile(join(dir, 'releases.yaml'), 'utf8')) as {
      releases: unknown[];
    };
    let lines = 0;
    const ledgerDir = join(dir, 'releases.ledger');
    for (const name of (await readdir(ledgerDir)).sort()) {
      const text = await readFile(join(ledgerDir, name), 'utf8');
      for (const line of text.split('\n')) {
        if (line === '') continue;
        JSON.parse(line);
        lines++;
      }
    }
    summary = { entries: doc.releases.length, lines };
  } else {
    const { readTextFile } = await import('../src/adapters/files/read-input.js');
    const { FileLedgerStore } = await import('../src/adapters/ledger/file-store.js');
    const { loadInputs } = await import('../src/engine/inputs.js');
    const { plan, planTotals } = await import('../src/core/plan/plan.js');
    const inputs = await loadInputs(
      () => readTextFile(join(dir, 'releases.yaml')),
      'releases.yaml',
      new FileLedgerStore(join(dir, 'releases.ledger')),
    );
    if (!inputs.ok) throw new Error(JSON.stringify(inputs.errors.slice(0, 3)));
    summary = planTotals(plan(inputs.file, inputs.ledger.index));
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(
    JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, summary }),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function benchMain(): Promise<void> {
  const runs = Number(values.runs);
  const entries = Number(values.entries);
  const records = Number(values.records);
  const dir = await mkdtemp(join(tmpdir(), 'qr-bench-plan-'));
  try {
    await generate(dir, entries, records);
    const results: Record<'floor' | 'plan', { ms: number; maxRssMb: number }[]> = {
      floor: [],
      plan: [],
    };
    let planSummary: unknown;
    for (let i = 0; i < runs + 1; i++) {
      for (const kind of ['floor', 'plan'] as const) {
        const out = spawnSync(
          process.execPath,
          ['--import', 'tsx', self, '--child', kind, '--dir', dir],
          {
            encoding: 'utf8',
          },
        );
        if (out.status !== 0) throw new Error(`${kind} child failed: ${out.stderr}`);
        const r = JSON.parse(out.stdout) as { ms: number; maxRssMb: number; summary: unknown };
        if (kind === 'plan') planSummary = r.summary;
        if (i > 0) results[kind].push(r); // first round warms the disk cache
      }
    }
    const f = {
      ms: median(results.floor.map((r) => r.ms)),
      rss: median(results.floor.map((r) => r.maxRssMb)),
    };
    const p = {
      ms: median(results.plan.map((r) => r.ms)),
      rss: median(results.plan.map((r) => r.maxRssMb)),
    };
    console.log(
      `plan benchmark: ${entries} entries, ${records} ledger records, ${runs} runs (median), node ${process.version}`,
    );
    console.log(`plan result: ${JSON.stringify(planSummary)}`);
    console.log(`floor (parse only): ${f.ms.toFixed(1)} ms, peak RSS ${f.rss.toFixed(1)} MB`);
    console.log(`plan             : ${p.ms.toFixed(1)} ms, peak RSS ${p.rss.toFixed(1)} MB`);
    console.log(`time ratio   plan/floor = ${(p.ms / f.ms).toFixed(2)}x   (target <= 1.00x)`);
    console.log(`memory ratio plan/floor = ${(p.rss / f.rss).toFixed(2)}x   (target <= 1.50x)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (values.child) await child(values.child, values.dir ?? '.');
else if (values.generate)
  await generate(values.generate, Number(values.entries), Number(values.records));
else await benchMain();
