import { isIP, isIPv4 } from 'node:net';

/** Typed configuration of the tools API, read once at start. */
export interface ToolsApiConfig {
  /** The project this container serves (lower-case UUID). */
  projectId: string;
  /** The VM's address on the project network (`.2` of the project subnet). */
  vmHost: string;
  vmViewerPort: number;
  guestAgentPort: number;
  /** The VM container's VNC server (QEMU's `-vnc`; dockurr/windows), the screen and input of the `computer` tool. */
  vmVncPort: number;
  /** Screenshots wider than this are scaled down (actions use the scaled coordinate space). */
  screenshotMaxWidth: number;
  /** Port and address the tools API listens on. */
  port: number;
  host: string;
  /** Deadline for each call to the VM (health probes and proxied guest-agent requests). */
  healthTimeoutMs: number;
  /** File holding the project token for the LLM gateway (read-only mount; the worker renews it). */
  projectTokenFile: string;
  /** File holding the credential every inbound route but `/live` requires. */
  credentialFile: string;
  /**
   * File holding the guest agent's bearer token (read-only mount, like the others). Null when unset: the guest
   * tools then answer that the agent token is not configured.
   */
  guestAgentTokenFile: string | null;
  /**
   * The LLM gateway as the project's containers reach it (`…/v1`, from the worker's GATEWAY_URL_FOR_PROJECTS); the
   * VM's environment points its coding agents there, and the API beside it issues the VM's gateway tokens. Null:
   * the VM's environment is not managed.
   */
  gatewayUrl: URL | null;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** A variable is missing or malformed, or the environment holds something that looks like a secret. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /** Names of the offending variables (never their values). */
  constructor(
    readonly variables: readonly string[],
    message: string,
  ) {
    super(message);
  }
}

/**
 * Names that suggest a credential. The tools API never holds provider keys or other secrets (it reaches
 * the LLM gateway with a project token), so such a variable means someone wired a secret into the container
 * by mistake.
 */
const SECRET_NAME_PATTERN = /(API_KEY|SECRET|PASSWORD|MASTER_KEY|TOKEN)$/i;
/**
 * No exception: the project token and the inbound credential arrive as files (`*_FILE`, a path), so that
 * `docker inspect` never shows them.
 */
const ALLOWED_SECRET_NAMES = new Set<string>();

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const DEFAULTS = {
  VM_VIEWER_PORT: 8006,
  GUEST_AGENT_PORT: 9000,
  VM_VNC_PORT: 5900,
  SCREENSHOT_MAX_WIDTH: 1280,
  // The original product's port; the worker's TOOLS_API_PORT and TOOLS_MCP_URL_TEMPLATE follow it.
  PORT: 8090,
  HOST: '0.0.0.0',
  HEALTH_TIMEOUT_MS: 1500,
} as const;

const MAX_HEALTH_TIMEOUT_MS = 60_000;

/** The variable's value, with an empty string read as unset (`docker run -e NAME=` yields one). */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Env, name: string): string {
  const value = read(env, name);
  if (value === undefined) throw new ConfigError([name], `${name} is required`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = read(env, name);
  if (value === undefined) return fallback;
  // Digits only: Number() would also accept " 80", "0x50" and "8e1".
  const parsed = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    throw new ConfigError([name], `${name} must be an integer in ${min}..${max}`);
  }
  return parsed;
}

function absolutePath(env: Env, name: string): string {
  const value = required(env, name);
  if (!value.startsWith('/')) throw new ConfigError([name], `${name} must be an absolute path`);
  return value;
}

function optionalAbsolutePath(env: Env, name: string): string | null {
  return read(env, name) === undefined ? null : absolutePath(env, name);
}

/**
 * Validates the environment and returns the typed configuration.
 * Messages name the offending variable but never echo a value.
 * @throws ConfigError
 */
export function loadToolsApiConfig(env: Env): ToolsApiConfig {
  const secretLike = Object.keys(env)
    .filter((name) => SECRET_NAME_PATTERN.test(name) && !ALLOWED_SECRET_NAMES.has(name))
    .sort();
  if (secretLike.length > 0) {
    const verb = secretLike.length === 1 ? 'looks like a secret' : 'look like secrets';
    throw new ConfigError(
      secretLike,
      `refusing to start: ${secretLike.join(', ')} ${verb}; ` +
        'the tools API must never hold provider keys or other secrets',
    );
  }

  const projectId = required(env, 'PROJECT_ID');
  if (!UUID_PATTERN.test(projectId)) throw new ConfigError(['PROJECT_ID'], 'PROJECT_ID must be a UUID');

  const vmHost = required(env, 'VM_HOST');
  // An address, not a name: nothing here should depend on DNS inside the project network.
  if (!isIPv4(vmHost)) throw new ConfigError(['VM_HOST'], 'VM_HOST must be an IPv4 address');

  const projectTokenFile = absolutePath(env, 'PANTHEON_PROJECT_TOKEN_FILE');
  const credentialFile = absolutePath(env, 'PANTHEON_API_CREDENTIAL_FILE');
  const guestAgentTokenFile = optionalAbsolutePath(env, 'GUEST_AGENT_TOKEN_FILE');

  const gatewayRaw = read(env, 'PANTHEON_GATEWAY_URL');
  let gatewayUrl: URL | null = null;
  if (gatewayRaw !== undefined) {
    try {
      gatewayUrl = new URL(gatewayRaw);
    } catch {
      gatewayUrl = null;
    }
    if (gatewayUrl === null || !['http:', 'https:'].includes(gatewayUrl.protocol) || gatewayUrl.username || gatewayUrl.search) {
      throw new ConfigError(['PANTHEON_GATEWAY_URL'], 'PANTHEON_GATEWAY_URL must be an http(s) URL without credentials or query');
    }
  }

  const host = read(env, 'HOST') ?? DEFAULTS.HOST;
  if (isIP(host) === 0) throw new ConfigError(['HOST'], 'HOST must be an IP address to listen on');

  return {
    projectId: projectId.toLowerCase(),
    vmHost,
    vmViewerPort: integer(env, 'VM_VIEWER_PORT', DEFAULTS.VM_VIEWER_PORT, 1, 65535),
    guestAgentPort: integer(env, 'GUEST_AGENT_PORT', DEFAULTS.GUEST_AGENT_PORT, 1, 65535),
    vmVncPort: integer(env, 'VM_VNC_PORT', DEFAULTS.VM_VNC_PORT, 1, 65535),
    screenshotMaxWidth: integer(env, 'SCREENSHOT_MAX_WIDTH', DEFAULTS.SCREENSHOT_MAX_WIDTH, 320, 7680),
    port: integer(env, 'PORT', DEFAULTS.PORT, 1, 65535),
    host,
    healthTimeoutMs: integer(env, 'HEALTH_TIMEOUT_MS', DEFAULTS.HEALTH_TIMEOUT_MS, 1, MAX_HEALTH_TIMEOUT_MS),
    projectTokenFile,
    credentialFile,
    guestAgentTokenFile,
    gatewayUrl,
  };
}
