// Entry point of the GitHub Action.
process.stderr.write('quarantine-release: the GitHub Action is not available in this version\n');
process.exitCode = 1;
