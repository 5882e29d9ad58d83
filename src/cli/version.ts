// The version of the CLI and the action: package.json's (a test holds them equal). Its own
// module so that commands can name it (init pins the action to its tag) without importing main.
export const VERSION = '0.1.0';
