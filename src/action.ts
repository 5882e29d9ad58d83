// Entry point of the GitHub Action: reads the settings, wires the adapters, runs.

import { runAction } from './action/main.js';
import { readSettings } from './action/settings.js';
import { coreToolkit } from './adapters/actions/core-toolkit.js';
import { SettingsError } from './adapters/cloudflare/settings.js';
import { githubClient } from './adapters/github/octokit.js';
import { escapeLogText } from './core/render/escape.js';

const toolkit = coreToolkit;
try {
  // Mask secrets before anything else can print them.
  for (const name of [
    'INPUT_API-TOKEN',
    'INPUT_API-KEY',
    'INPUT_GITHUB-TOKEN',
    'INPUT_LEDGER-KEY',
  ]) {
    const value = process.env[name]?.trim();
    if (value) toolkit.setSecret(value);
  }
  const settings = readSettings(process.env);
  await runAction(settings, {
    toolkit,
    github: () =>
      githubClient(settings.githubToken, {
        baseUrl: settings.runner.apiUrl,
        env: process.env,
        log: {
          info: toolkit.info,
          warn: (m) => toolkit.warning(m),
          error: (m) => toolkit.error(m),
        },
      }),
  });
} catch (error) {
  const message =
    error instanceof SettingsError
      ? error.message
      : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
  toolkit.setFailed(`quarantine-release: ${escapeLogText(message, 1000)}`);
}
