// Replaces @actions/http-client in the bundles. @actions/core imports it only for OIDC
// tokens (getIDToken), which quarantine-release never requests; the real module would add a
// second copy of undici (~0.4 MB) to start-up. Anything that does reach it fails loudly.
const unsupported = () => {
  throw new Error(
    '@actions/http-client is not bundled: OIDC tokens are not supported by quarantine-release',
  );
};
export class HttpClient {
  constructor() {
    unsupported();
  }
}
export class BearerCredentialHandler {
  constructor() {
    unsupported();
  }
}
