// keycloak-connect publishes types for its middleware only; the token parser is plain JS.
declare module 'keycloak-connect/middleware/auth-utils/token';
