import { resolve } from 'node:path';
import { readTextFile } from '../../adapters/files/read-input.js';
import { isAccountId } from '../../core/ids.js';
import { escapeLogText } from '../../core/render/escape.js';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_EMAIL,
  DEFAULT_KEY,
  DEFAULT_MAX_PER_PAGE,
  DEFAULT_MESSAGES_PER_ACCOUNT,
  DEFAULT_READ_TOKEN,
  DEFAULT_SEED,
  DEFAULT_TOKEN,
  demoFixtures,
  type EmulatorOptions,
  type FaultConfig,
  FaultConfigError,
  FIXTURE_ROLES,
  parseFaultConfig,
  parseSeedMessages,
  type RateLimitConfig,
  type SeedMessage,
  startEmulator,
} from '../../emulator/index.js';
import {
  type CliIO,
  type Command,
  choiceOption,
  EXIT,
  integerOption,
  type OptionValues,
  stringOption,
  UsageError,
} from '../command.js';

/** A mailbox file may be large (60,000 messages is about 20 MB of JSON). */
const MAX_MESSAGES_FILE_BYTES = 256 * 1024 * 1024;

function accountsOption(values: OptionValues): string[] | undefined {
  const raw = values.accounts;
  if (typeof raw !== 'string') return undefined;
  const accounts = raw.split(',').map((a) => a.trim());
  if (accounts.some((a) => !isAccountId(a))) {
    throw new UsageError('--accounts must be account ids (32 lowercase hex), separated by commas');
  }
  return [...new Set(accounts)];
}

function rateLimitOption(values: OptionValues): RateLimitConfig | false | undefined {
  const raw = values['rate-limit'];
  if (typeof raw !== 'string') return undefined;
  if (raw === 'off') return false;
  const match = /^([0-9]{1,7})\/([0-9]{1,6})$/.exec(raw);
  const limit = Number(match?.[1]);
  const seconds = Number(match?.[2]);
  if (!match || limit < 1 || seconds < 1) {
    throw new UsageError('--rate-limit must be N/SECONDS (e.g. 1200/300) or off');
  }
  return { limit, windowMs: seconds * 1000 };
}

function faultsOption(values: OptionValues): FaultConfig {
  const faults: Record<string, unknown> = {};
  const latency = integerOption(values, 'latency-ms', 0, 0, 600_000);
  if (latency > 0) faults.latencyMs = latency;
  const raw = values['fault-rate'];
  if (typeof raw === 'string') {
    const rates: Record<string, number> = {};
    for (const pair of raw.split(',')) {
      const match = /^\s*([a-z0-9_]+)=([0-9]*\.?[0-9]+)\s*$/.exec(pair);
      if (!match)
        throw new UsageError('--fault-rate must be KIND=P pairs, e.g. 5xx=0.05,reset_after=0.01');
      rates[match[1] as string] = Number(match[2]);
    }
    faults.rates = rates;
  }
  try {
    return parseFaultConfig(faults);
  } catch (error) {
    if (error instanceof FaultConfigError) throw new UsageError(`--fault-rate: ${error.message}`);
    throw error;
  }
}

/** Reads and checks a mailbox file; reports every problem and returns undefined on any. */
async function loadMessages(file: string, io: CliIO): Promise<SeedMessage[] | undefined> {
  const read = await readTextFile(resolve(io.cwd, file), MAX_MESSAGES_FILE_BYTES);
  const name = escapeLogText(file, 300);
  if (!read.ok) {
    io.stderr(`${name}: ${read.error.message}\n`);
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(read.text);
  } catch (error) {
    io.stderr(`${name}: not valid JSON: ${escapeLogText((error as Error).message, 300)}\n`);
    return undefined;
  }
  const parsed = parseSeedMessages(value);
  if (!parsed.ok) {
    for (const e of parsed.errors) io.stderr(`${name}${escapeLogText(e, 500)}\n`);
    return undefined;
  }
  return parsed.messages;
}

function waitForAbort(signal: AbortSignal | undefined): Promise<void> {
  // Without a signal (embedding without one) the server runs until the process ends.
  return new Promise((done) => {
    if (signal?.aborted) done();
    signal?.addEventListener('abort', () => done(), { once: true });
  });
}

export const emulatorCommand: Command = {
  name: 'emulator',
  summary: 'run a local Cloudflare Email Security API emulator (no account needed)',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    messages: { type: 'string' },
    'messages-per-account': { type: 'string' },
    seed: { type: 'string' },
    accounts: { type: 'string' },
    'latency-ms': { type: 'string' },
    'rate-limit': { type: 'string' },
    'fault-rate': { type: 'string' },
    'release-body': { type: 'string' },
    'max-per-page': { type: 'string' },
  },
  help: `Usage: quarantine-release emulator [--port N] [--messages FILE] [--seed N] [--accounts ID,ID]
       [--latency-ms N] [--rate-limit N/SECONDS] [--fault-rate KIND=P,...]
       [--release-body ids|array|either] [--max-per-page N]

Serves the Email Security API this tool uses (release, message, action log, search) on
loopback, over a seeded mailbox, so everything can be tried without a Cloudflare account.
Prints the API base URL, the credentials to use and demo message ids by role (including ids
that do not exist), then runs until Ctrl-C. Releases really change the mailbox, and a message
released twice is delivered twice: GET /__emulator/truth shows what was delivered.

Options:
  --port N                  port to listen on (default: 0, any free port)
  --host HOST               address to listen on (default: 127.0.0.1)
  --messages FILE           serve the messages of this JSON array instead of generated ones;
                            each: {id, to: [...], subject?, from?, from_name?,
                            final_disposition?, scanned_at?, released?, account_id?}
  --messages-per-account N  size of each generated mailbox (default: ${DEFAULT_MESSAGES_PER_ACCOUNT})
  --seed N                  seed of the generated mailbox and random faults (default: ${DEFAULT_SEED})
  --accounts ID,ID          account ids to serve (default: ${DEFAULT_ACCOUNT})
  --latency-ms N            added to every API request (default: 0)
  --rate-limit N/SECONDS    requests per window per credential, or off (default: 1200/300)
  --fault-rate KIND=P,...   random faults with probability P per request; kinds: 5xx, 429,
                            auth, reset_before, reset_after, timeout_before, timeout_after,
                            malformed, success_false, partial, missing_id, postfix_only,
                            null_recipients, accepted
  --release-body FORM       release bodies accepted: ids ({"ids": [...]}, the current API
                            description), array (the earlier bare array), or either
                            (default: ids)
  --max-per-page N          largest per_page a search accepts; more is answered 400
                            (default: ${DEFAULT_MAX_PER_PAGE})
  -h, --help                show this help

Control (no auth): GET /__emulator/truth, POST /__emulator/faults (JSON fault config),
POST /__emulator/reset.

Exit codes: 0 stopped by Ctrl-C, 1 invalid messages file, 2 usage error.
`,
  async run(values, io) {
    const options: EmulatorOptions = {
      port: integerOption(values, 'port', 0, 0, 65_535),
      host: stringOption(values, 'host', '127.0.0.1'),
      seed: integerOption(values, 'seed', DEFAULT_SEED, 0, 999_999_999),
      messagesPerAccount: integerOption(
        values,
        'messages-per-account',
        DEFAULT_MESSAGES_PER_ACCOUNT,
        0,
        500_000,
      ),
      faults: faultsOption(values),
      control: true,
    };
    const accounts = accountsOption(values);
    if (accounts) options.accounts = accounts;
    options.releaseBody = choiceOption(
      values,
      'release-body',
      ['ids', 'array', 'either'] as const,
      'ids',
    );
    options.maxPerPage = integerOption(values, 'max-per-page', DEFAULT_MAX_PER_PAGE, 1, 1_000_000);
    const rateLimit = rateLimitOption(values);
    if (rateLimit !== undefined) options.rateLimit = rateLimit;
    const file = values.messages;
    if (typeof file === 'string') {
      const messages = await loadMessages(file, io);
      if (!messages) return EXIT.invalid;
      options.messages = messages;
    }

    let emulator: Awaited<ReturnType<typeof startEmulator>>;
    try {
      emulator = await startEmulator(options);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (error instanceof RangeError || code === 'EADDRINUSE' || code === 'EACCES') {
        io.stderr(
          `quarantine-release emulator: ${escapeLogText((error as Error).message, 1000)}\n`,
        );
        return EXIT.invalid;
      }
      throw error;
    }
    const origin = new URL(emulator.url).origin;
    const lines = [
      `Cloudflare API emulator listening on ${emulator.url}`,
      `CLOUDFLARE_API_BASE_URL=${emulator.url}`,
      `CLOUDFLARE_API_TOKEN=${DEFAULT_TOKEN}`,
      `Also accepted: read-only token ${DEFAULT_READ_TOKEN} (release answers 403); X-Auth-Email ${DEFAULT_EMAIL} with X-Auth-Key ${DEFAULT_KEY}.`,
    ];
    for (const account of emulator.accounts) {
      const count = emulator.messages(account).length;
      lines.push('', `Account ${account}: ${count} messages.`);
      if (options.messages) continue;
      const fixtures = demoFixtures(options.seed, account);
      const width = Math.max(...FIXTURE_ROLES.map((r) => r.length));
      lines.push('Demo message ids by role:');
      for (const role of FIXTURE_ROLES) lines.push(`  ${role.padEnd(width)}  ${fixtures[role]}`);
      lines.push(`  ${'missing'.padEnd(width)}  ${fixtures.missing.join(' ')}`);
    }
    lines.push(
      '',
      `Control: GET ${origin}/__emulator/truth, POST ${origin}/__emulator/faults, POST ${origin}/__emulator/reset`,
      'Press Ctrl-C to stop.',
      '',
    );
    io.stdout(lines.join('\n'));
    await waitForAbort(io.signal);
    await emulator.close();
    io.stderr('Cloudflare API emulator stopped.\n');
    return EXIT.ok;
  },
};
