// Which recorded run URLs the action asks GitHub about: runs of this repository only.
import { describe, expect, it } from 'vitest';
import { runIdOf } from '../../src/adapters/github/workflow-runs.js';

const repo = { owner: 'octo-org', repo: 'mail-releases' };
const server = 'https://github.com';

describe('runIdOf', () => {
  it('reads the id of a run of this repository, with or without an attempt', () => {
    expect(runIdOf('https://github.com/octo-org/mail-releases/actions/runs/42', server, repo)).toBe(
      42,
    );
    expect(
      runIdOf('https://github.com/Octo-Org/Mail-Releases/actions/runs/42/attempts/3', server, repo),
    ).toBe(42);
    expect(
      runIdOf(
        'https://ghe.example/octo-org/mail-releases/actions/runs/7',
        'https://ghe.example/',
        repo,
      ),
    ).toBe(7);
  });

  it.each([
    'https://github.com/other/mail-releases/actions/runs/42',
    'https://github.com/octo-org/mail-releases-2/actions/runs/42',
    'https://evil.example/octo-org/mail-releases/actions/runs/42',
    'https://github.com/octo-org/mail-releases/actions/runs/0',
    'https://github.com/octo-org/mail-releases/actions/runs/42?x=1',
    'https://github.com/octo-org/mail-releases/actions/runs/99999999999999999999',
    'https://github.com/octo-org/mail-releases/actions/runs/../../pulls/1',
    'local:host-1:1234',
    '',
  ])('asks nothing about %s', (run) => {
    expect(runIdOf(run, server, repo)).toBeUndefined();
  });
});
