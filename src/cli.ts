// Entry point of the `quarantine-release` command: wires the process to the CLI.
import { main } from './cli/main.js';

const controller = new AbortController();
let interrupted = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted++;
    // First signal: finish what is in flight, record it, stop. Second: leave now.
    if (interrupted > 1) process.exit(130);
    process.stderr.write(
      `\n${signal}: finishing the request in flight, then stopping (again to quit now)\n`,
    );
    controller.abort();
  });
}

const code = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exitCode = code;
