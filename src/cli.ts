#!/usr/bin/env node
// Entry point of the `quarantine-release` command: wires the process to the CLI.
import { main } from './cli/main.js';
import { pipeWriter } from './cli/stdio.js';

const controller = new AbortController();
// A reader that left (`| head -1`) wants nothing more: stop as on a first SIGINT, quietly.
const stdout = pipeWriter(process.stdout, () => controller.abort());
const stderr = pipeWriter(process.stderr, () => controller.abort());
let interrupted = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted++;
    // First signal: finish what is in flight, record it, stop. Second: leave now.
    if (interrupted > 1) process.exit(130);
    stderr(`\n${signal}: finishing the request in flight, then stopping (again to quit now)\n`);
    controller.abort();
  });
}

const code = await main(process.argv.slice(2), {
  stdout,
  stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exitCode = code;
