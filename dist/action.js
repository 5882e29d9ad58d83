import { createRequire as __qrCreateRequire } from 'node:module'; const require = __qrCreateRequire(import.meta.url);
process.stderr.write(`quarantine-release: the GitHub Action is not available in this version
`);process.exitCode=1;
