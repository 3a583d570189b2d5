// Three providers, all served by the test's stand-in identity provider:
// an OIDC one (discovery document + JWKS), a custom JWT one with RS256 and
// an audience, and a custom JWT one with ES256 and no audience check.
export default {
  providers: [
    { domain: process.env.OIDC_DOMAIN, applicationID: "convex-app" },
    {
      type: "customJwt",
      issuer: process.env.CUSTOM_ISSUER,
      jwks: process.env.CUSTOM_ISSUER + "/jwks.json",
      algorithm: "RS256",
      applicationID: "custom-app",
    },
    {
      type: "customJwt",
      issuer: process.env.ES_ISSUER,
      jwks: process.env.ES_ISSUER + "/jwks.json",
      algorithm: "ES256",
    },
  ],
};
