import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { parseTrustProxy } from './trust-proxy';

/**
 * Every environment variable the platform reads, in one place. `sensitive` values are never printed
 * (check-env masks them, the logger never sees them).
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const postgresUrl = z
  .string()
  .url()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL');

const redisUrl = z
  .string()
  .url()
  .refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL');

const port = z.coerce.number().int().min(0).max(65535);

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/i;

/** A host name, an IP address or a CIDR (`models.internal`, `10.9.0.7`, `10.9.0.0/16`, `fd00::/8`). */
function isHostOrCidr(entry: string): boolean {
  return ipaddr.isValidCIDR(entry) || ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry) || HOST_NAME.test(entry);
}

/** An IP address or a host name (no CIDR, no port). */
function isHost(entry: string): boolean {
  return ipaddr.isValid(entry) || HOST_NAME.test(entry);
}

const httpUrl = z
  .string()
  .url()
  .refine((v) => /^https?:\/\//.test(v), 'must be an http:// or https:// URL');

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  /**
   * API processes behind API_PORT (node:cluster), so that every core serves requests; 0 = one per core. With more
   * than one, socket.io accepts WebSocket transport only (long-polling would need sticky sessions).
   */
  API_WORKERS: z.coerce.number().int().min(0).max(64).default(1),
  /** Comma-separated list of allowed browser origins; empty means no cross-origin access. */
  CORS_ORIGINS: z.string().default(''),
  /** Largest accepted JSON body. */
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'e.g. 100kb').default('100kb'),
  /**
   * Largest accepted JSON body on the LLM gateway (/v1/...): coding agents send whole conversations with
   * images and dozens of tool schemas, so it is separate from (and much larger than) BODY_LIMIT.
   */
  GATEWAY_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'e.g. 32mb').default('32mb'),
  /** Deepest JSON nesting accepted on the LLM gateway (tool input schemas nest deeply). */
  GATEWAY_BODY_MAX_DEPTH: z.coerce.number().int().min(8).max(1000).default(128),
  /** Public URL of the API, used in links we hand out. */
  PUBLIC_URL: z.string().url().optional(),

  /**
   * Prometheus /metrics of the API, served on its own listener (never on API_PORT): bind it to an internal
   * address only. Not 0.0.0.0 in production: the API container also joins every project network. 0 = any free port.
   */
  METRICS_HOST: z.string().refine(isHost, 'an IP address or host name').default('127.0.0.1'),
  METRICS_PORT: port.default(9464),
  /** The worker's /metrics listener (internal network only). */
  WORKER_METRICS_HOST: z.string().refine(isHost, 'an IP address or host name').default('127.0.0.1'),
  WORKER_METRICS_PORT: port.default(9465),

  /** The app role (pantheon_app): not owner, not superuser, RLS applies. */
  DATABASE_URL: postgresUrl,
  /** The owner role that runs migrations; required where MIGRATE_ON_BOOT is on (the API), not in the worker. */
  DATABASE_MIGRATION_URL: postgresUrl.optional(),
  /** The narrowly-granted system role used by workers and maintenance tasks. */
  DATABASE_WORKER_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  MIGRATE_ON_BOOT: bool.default(true),

  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key, so several deployments (or test runs) can share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[a-z0-9:_-]+$/i).default('pantheon'),

  KEYCLOAK_URL: z.string().url(),
  KEYCLOAK_REALM: z.string().min(1).default('pantheon'),
  /** The API's bearer-only client; access tokens must name it in `aud`. */
  KEYCLOAK_CLIENT_ID: z.string().min(1).default('pantheon-api'),
  KEYCLOAK_VERIFY_AUDIENCE: bool.default(true),
  /** Optional comma-separated list of clients (`azp`) allowed to call the API. */
  KEYCLOAK_ALLOWED_AZP: z.string().default(''),
  /** Realm role every caller of a non-public route must hold. */
  AUTH_REQUIRED_ROLE: z.string().min(1).default('pantheon-user'),

  /** Versioned master keys: `1:<base64 32 bytes>,2:<base64 32 bytes>`; the highest version encrypts. */
  PANTHEON_MASTER_KEYS: z.string().min(1).optional(),
  /** Alternative to PANTHEON_MASTER_KEYS: a file holding the same value (docker secrets). */
  PANTHEON_MASTER_KEYS_FILE: z.string().min(1).optional(),

  RATE_LIMIT_TTL_MS: z.coerce.number().int().min(100).default(60_000),
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(300),

  /**
   * Reverse proxies whose X-Forwarded-For the API believes: empty (default) = none, the client address is the
   * connection's; `loopback`; or comma-separated IPs/CIDRs. Never a range holding project networks.
   */
  TRUST_PROXY: z
    .string()
    .default('')
    .superRefine((v, ctx) => {
      const parsed = parseTrustProxy(v);
      if (!parsed.ok) for (const message of parsed.problems) ctx.addIssue({ code: 'custom', message });
    }),
  /** Failed authentications (401s, HTTP and socket handshakes) one client IP may cause per window, shared in Redis. */
  AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(30),
  /** The failure window, and how long an IP over the limit is answered 429. */
  AUTH_FAILURE_WINDOW_S: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Socket handshakes (successful or not) one client IP may attempt per window. */
  WS_HANDSHAKE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(120),
  WS_HANDSHAKE_WINDOW_S: z.coerce.number().int().min(1).max(86_400).default(60),
  /** How long the realm's signing keys (JWKS) are trusted before they are fetched again. */
  AUTH_JWKS_CACHE_TTL_S: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Least time between two JWKS fetches, however many tokens name an unknown `kid`. */
  AUTH_JWKS_MIN_REFRESH_S: z.coerce.number().int().min(1).max(3600).default(10),
  /** How long a verified access token's claims are reused (never past `exp` or a key rotation); 0 = off. */
  AUTH_TOKEN_CACHE_TTL_S: z.coerce.number().int().min(0).max(3600).default(60),
  /** How long a subject → user row mapping is reused without a database round trip; 0 = off. */
  AUTH_USER_CACHE_TTL_S: z.coerce.number().int().min(0).max(3600).default(30),

  /** socket.io endpoint path (the gateway's namespace is /ws); e.g. `/ws` to serve ws://host/ws/?EIO=4. */
  WS_PATH: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'must be a path such as /socket.io').default('/socket.io'),
  /** Path of the plain RFC 6455 WebSocket protocol (JSON subscribe messages), beside socket.io; may equal WS_PATH. */
  PLAIN_WS_PATH: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'must be a path such as /ws').default('/ws'),
  /** Plain WebSocket connections one user may hold on one API process. */
  PLAIN_WS_MAX_PER_USER: z.coerce.number().int().min(1).max(1000).default(10),
  /** Project events kept per user for replay after a reconnect. */
  EVENTS_STREAM_MAXLEN: z.coerce.number().int().min(10).max(100_000).default(1000),

  /** Live (not deleted) projects a user may have at once. */
  PROJECTS_MAX_PER_USER: z.coerce.number().int().min(1).max(254).default(5),
  VM_DEFAULT_RAM_GB: z.coerce.number().int().min(2).max(256).default(8),
  VM_DEFAULT_CPU_CORES: z.coerce.number().int().min(1).max(64).default(4),
  VM_DEFAULT_DISK_GB: z.coerce.number().int().min(32).max(4096).default(64),

  /** Docker images of a project's containers (built locally where no registry is reachable). */
  VM_IMAGE: z.string().min(1).default('dockurr/windows:6.02'),
  TOOLS_IMAGE: z.string().min(1).default('pantheon/tools-api:dev'),
  SHARE_IMAGE: z.string().min(1).default('pantheon/share:dev'),
  /**
   * Credentials for pulling absent images from a private registry (optional; public images need none). The
   * password is a secret: pass it as REGISTRY_PASSWORD_FILE in containers.
   */
  REGISTRY_USERNAME: z.string().min(1).optional(),
  REGISTRY_PASSWORD: z.string().min(1).optional(),
  /** Registry the credentials are for, e.g. ghcr.io; default: each image reference's own registry. */
  REGISTRY_SERVER: z.string().min(1).optional(),
  /** Upper bound of one image pull (the Windows image is several GB). */
  IMAGE_PULL_TIMEOUT_MS: z.coerce.number().int().min(10_000).max(6 * 3_600_000).default(3_600_000),
  /** Host devices passed to the VM container, comma-separated; `none` where there is no KVM (stand-in images). */
  VM_DEVICES: z.string().regex(/^(none|\/dev\/[A-Za-z0-9_/-]+(,\/dev\/[A-Za-z0-9_/-]+)*)$/, 'a comma-separated list of /dev paths, or none').default('/dev/kvm'),
  /** Host folder under which each project gets its shared folder (mounted read-only into the share server). */
  SHARE_ROOT: z.string().min(1).default('/var/lib/pantheon/shares'),
  /** Host folder under which each project gets its /oem (guest agent, its token, install.bat), mounted read-only in its VM. */
  OEM_DIR: z.string().min(1).default('/var/lib/pantheon/oem'),
  /**
   * Windows node.exe copied into each project's /oem for the guest agent (scripts/fetch-windows-node.sh writes
   * .cache/windows-node/node.exe). Unset or missing: bundles are written without it, with a warning.
   */
  GUEST_AGENT_WINDOWS_NODE: z.string().min(1).optional(),
  /** dist/ folder holding the compiled guest agent the worker copies into each /oem (default: its own build's). */
  GUEST_AGENT_DIST_DIR: z.string().min(1).optional(),
  /** The platform network the tools API is also attached to (multi-homed). */
  PLATFORM_NETWORK: z.string().min(1).default('pantheon-platform'),
  PLATFORM_SUBNET: z.string().regex(/^\d+\.\d+\.\d+\.0\/24$/, 'must be an a.b.c.0/24 CIDR').default('10.0.1.0/24'),
  /**
   * The tools network: only tools containers and the API (plus host processes through its gateway) are on it,
   * never PostgreSQL, Redis or Keycloak. Containers on it cannot reach each other (bridge ICC off).
   */
  TOOLS_NETWORK: z.string().min(1).default('pantheon-tools'),
  TOOLS_SUBNET: z.string().regex(/^\d+\.\d+\.\d+\.0\/24$/, 'must be an a.b.c.0/24 CIDR').default('10.0.2.0/24'),
  /**
   * Host folder under which the worker keeps each project's tools credentials (`<id>/project-token`,
   * `<id>/api-credential`), mounted read-only into its tools container. Not under SHARE_ROOT: the VM writes there.
   */
  TOOLS_CREDENTIALS_ROOT: z.string().min(1).default('/var/lib/pantheon/tools-credentials'),
  /** Uid the tools API process runs as in its image (deploy/tools-api.Dockerfile: 1000); its credential files are owned by it, mode 0400. */
  TOOLS_UID: z.coerce.number().int().min(0).max(2 ** 31).default(1000),
  /** Lifetime of the project token in a tools container's file; the reconciler renews it past half-life. */
  TOOLS_TOKEN_TTL_S: z.coerce.number().int().min(60).max(86_400).default(3600),
  /**
   * Lifetime of the gateway token a project's VM gets in its user environment (kind `vm`, issued on the tools
   * API's request, which asks for a fresh one past half-life).
   */
  VM_TOKEN_TTL_S: z.coerce.number().int().min(60).max(86_400).default(3600),
  /**
   * Name of the worker's own container when it runs in Docker. ICC is off on the tools network, so a worker
   * container cannot probe a tools API there: it joins the project network at .4 for the readiness check only.
   */
  WORKER_CONTAINER: z.string().optional(),
  /** Name of the backend's own container, joined to each project network at .3 when the backend runs in Docker. */
  BACKEND_CONTAINER: z.string().optional(),
  DOCKER_SOCKET: z.string().default('/var/run/docker.sock'),
  /** Extra `pantheon.test-run` label on every object the worker creates, so a test run removes exactly its own. */
  RUNTIME_TEST_RUN_LABEL: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),

  /**
   * Container limits. The VM gets the project's ram_gb plus VM_MEMORY_OVERHEAD_MB (QEMU and the image's own
   * processes) and cpu_cores CPUs; the tools API and the share server get small fixed limits.
   */
  VM_MEMORY_OVERHEAD_MB: z.coerce.number().int().min(0).max(64 * 1024).default(1024),
  VM_PIDS_LIMIT: z.coerce.number().int().min(64).max(1_000_000).default(2048),
  /** Capabilities the VM container keeps (all others are dropped); dockurr/windows needs NET_ADMIN. */
  VM_CAP_ADD: z.string().regex(/^(none|[A-Z_]+(,[A-Z_]+)*)$/, 'a comma-separated list of capability names, or none').default('NET_ADMIN'),
  TOOLS_MEMORY_MB: z.coerce.number().int().min(32).max(64 * 1024).default(256),
  TOOLS_CPU_MILLICORES: z.coerce.number().int().min(50).max(64_000).default(500),
  TOOLS_PIDS_LIMIT: z.coerce.number().int().min(16).max(100_000).default(256),
  SHARE_MEMORY_MB: z.coerce.number().int().min(32).max(64 * 1024).default(128),
  SHARE_CPU_MILLICORES: z.coerce.number().int().min(50).max(64_000).default(250),
  SHARE_PIDS_LIMIT: z.coerce.number().int().min(16).max(100_000).default(64),

  /**
   * Platform capacity, summed over projects that hold resources (not deleted, and not failed with their lease
   * released): creation beyond any of these is refused with 503 PLATFORM_AT_CAPACITY. 0 = no limit.
   */
  PLATFORM_MAX_PROJECTS: z.coerce.number().int().min(0).max(254).default(50),
  PLATFORM_MAX_RAM_GB: z.coerce.number().int().min(0).default(256),
  PLATFORM_MAX_CPU_CORES: z.coerce.number().int().min(0).default(64),
  /** A failed project keeps its subnet lease this long (for a look at what failed), then the reconciler frees it. */
  FAILED_LEASE_GRACE_MS: z.coerce.number().int().min(0).default(3_600_000),

  /**
   * The LLM gateway as seen from a project's tools API: the backend's address on the project network by default
   * (`{backend_ip}` = the project's .3); the tools container is not on the platform network.
   */
  GATEWAY_URL_FOR_PROJECTS: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL template').default('http://{backend_ip}:3000/v1'),

  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  /** How long the worker waits for the tools API and guest agent to answer before failing a provision. */
  PROVISION_HEALTH_TIMEOUT_MS: z.coerce.number().int().min(1000).default(180_000),
  /** BullMQ job lock; a killed worker's job is picked up again after this long. */
  JOB_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
  /** A project in a transitional state unchanged for this long is re-driven by the reconciler. */
  STUCK_AFTER_MS: z.coerce.number().int().min(1000).default(300_000),

  /** Model the chat API uses when neither the request nor the user's settings name one. */
  DEFAULT_MODEL: z.string().regex(/^[a-z]+\/\S+$/, 'must be provider/model').default('openrouter/openrouter/auto'),
  /** How long provider model lists are cached in Redis, per user and provider. */
  MODELS_CACHE_TTL_S: z.coerce.number().int().min(0).max(86_400).default(600),
  /**
   * Prices in USD per million tokens, as JSON: {"openai/gpt-4o": {"input": 2.5, "output": 10}}. Calls to a
   * listed model get a cost (and count against monthly budgets); others are recorded without one.
   */
  MODEL_PRICES: z
    .string()
    .default('{}')
    .refine((v) => {
      try {
        const o = JSON.parse(v) as Record<string, { input?: unknown; output?: unknown; cache_read?: unknown; cache_write?: unknown }>;
        const optional = (n: unknown) => n === undefined || typeof n === 'number';
        return typeof o === 'object' && o !== null && Object.values(o).every((p) =>
          typeof p?.input === 'number' && typeof p?.output === 'number' && optional(p.cache_read) && optional(p.cache_write));
      } catch {
        return false;
      }
    }, 'must be JSON like {"provider/model": {"input": 2.5, "output": 10, "cache_read": 0.25, "cache_write": 3.125}} (cache prices optional)'),
  /** Where the API reaches a project's MCP tools; `{tools_ip}` is the project's tools API address (.1). */
  TOOLS_MCP_URL_TEMPLATE: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL template').default('http://{tools_ip}:8090/mcp'),
  /**
   * "Connect": where the API reaches a project VM's web viewer (noVNC, port 8006 of dockurr/windows) over the
   * project network; `{vm_ip}` is the VM's address (.2). No VM port is published on the host.
   */
  VM_VIEWER_URL_TEMPLATE: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL template').default('http://{vm_ip}:8006'),
  /** Lifetime of a viewer ticket (the single-use link `POST /api/projects/:id/viewer` returns). */
  VIEWER_TICKET_TTL_S: z.coerce.number().int().min(1).max(600).default(60),
  /** A viewer session with no HTTP request and no WebSocket traffic for this long ends. */
  VIEWER_IDLE_TIMEOUT_S: z.coerce.number().int().min(5).max(86_400).default(900),
  /** Open viewer sessions allowed per project and per user. */
  VIEWER_MAX_PER_PROJECT: z.coerce.number().int().min(1).max(100).default(3),
  VIEWER_MAX_PER_USER: z.coerce.number().int().min(1).max(100).default(5),
  /** How often an open viewer WebSocket re-checks its session, the project's state and the user's access. */
  VIEWER_CHECK_INTERVAL_MS: z.coerce.number().int().min(200).max(600_000).default(5_000),
  /** Turns a chat may keep calling tools before it must answer. */
  CHAT_MAX_TOOL_STEPS: z.coerce.number().int().min(1).max(50).default(8),
  /** Earlier messages of a conversation sent as context with a single new message. */
  CHAT_HISTORY_CONTEXT: z.coerce.number().int().min(0).max(200).default(20),
  /**
   * Output tokens a metered call reserves against its budgets when the request sets no max_tokens (the prompt's
   * estimate is added). Parallel calls are admitted while used + reserved stays under the budget.
   */
  BUDGET_RESERVATION_TOKENS: z.coerce.number().int().min(1).max(1_000_000).default(4096),
  /** A reservation a call never settled (the API died mid-call) stops counting against budgets after this long. */
  BUDGET_RESERVATION_TTL_S: z.coerce.number().int().min(60).max(86_400).default(900),

  /**
   * The LLM gateway caches per process what it derives per request (project token → project, routing, the
   * decrypted provider key, whether a budget applies). Changes made through the API are seen at once (a
   * per-user generation in Redis); a change made behind its back (plain SQL) is seen within this bound.
   * 0 turns the cache off.
   */
  GATEWAY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /** Entries the gateway cache holds per process (least recently used first out). */
  GATEWAY_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /**
   * Metered calls' usage rows are written in batches: after at most this many ms, or this many rows. Usage (and so
   * a budget set meanwhile) sees a call this late at most; longer batches cost the gateway a little less per call.
   */
  USAGE_FLUSH_INTERVAL_MS: z.coerce.number().int().min(1).max(10_000).default(50),
  USAGE_FLUSH_MAX_ROWS: z.coerce.number().int().min(1).max(10_000).default(200),

  MAX_API_KEYS_PER_USER: z.coerce.number().int().min(1).default(50),
  MAX_CUSTOM_MODELS_PER_USER: z.coerce.number().int().min(1).default(200),

  /** Upstream base URLs per provider family (tests point them at loopback fakes speaking each wire format). */
  OPENAI_BASE_URL: httpUrl.default('https://api.openai.com/v1'),
  OPENROUTER_BASE_URL: httpUrl.default('https://openrouter.ai/api/v1'),
  ANTHROPIC_BASE_URL: httpUrl.default('https://api.anthropic.com'),
  /** Gemini API root; the SDK appends the API version (`/v1beta`). */
  GOOGLE_AI_BASE_URL: httpUrl.default('https://generativelanguage.googleapis.com'),
  TOGETHER_BASE_URL: httpUrl.default('https://api.together.xyz/v1'),
  XAI_BASE_URL: httpUrl.default('https://api.x.ai/v1'),
  /** Sent to OpenRouter as `HTTP-Referer` (app attribution); unset = header not sent. */
  OPENROUTER_REFERER: httpUrl.optional(),
  /** Sent to OpenRouter as `X-Title` (app attribution). */
  OPENROUTER_TITLE: z.string().min(1).max(100).default('Pantheon'),
  /** Deadline for a provider call: the whole response when not streaming, the gap between chunks when streaming. */
  PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),

  /**
   * Exceptions to the outbound policy for URLs users supply (a custom provider's base_url): comma-separated host
   * names and CIDRs, e.g. `models.internal,10.9.0.0/16`, for a model server the operator runs on an internal
   * address. Default none. The platform and project networks are refused even when listed.
   */
  OUTBOUND_ALLOW_HOSTS: z
    .string()
    .default('')
    .refine((v) => v.split(',').map((e) => e.trim()).filter(Boolean).every(isHostOrCidr), 'a comma-separated list of host names, IP addresses and CIDRs'),
  /** DNS servers (`ip` or `ip:port`, comma-separated) that resolve user-supplied hosts; empty = the system resolver. */
  OUTBOUND_DNS_SERVERS: z
    .string()
    .default('')
    .refine(
      (v) => v.split(',').map((e) => e.trim()).filter(Boolean).every((e) => /^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-f:.]+\](:\d{1,5})?|[0-9a-f:.]+)$/i.test(e)),
      'a comma-separated list of ip or ip:port ([ipv6]:port) addresses',
    ),
  /** Largest response body read from a user-supplied URL (a streamed SSE body is bounded per line instead). */
  OUTBOUND_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
  /** Longest SSE line (bytes between newlines) read from a user-supplied URL. */
  OUTBOUND_MAX_SSE_LINE_BYTES: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(1024 * 1024),
});

export type Env = z.infer<typeof envSchema>;

/** Variables whose values are secrets: masked by check-env, never logged. */
export const SENSITIVE_VARS: ReadonlySet<keyof Env> = new Set<keyof Env>([
  'DATABASE_URL',
  'DATABASE_MIGRATION_URL',
  'DATABASE_WORKER_URL',
  'REDIS_URL',
  'PANTHEON_MASTER_KEYS',
  'REGISTRY_PASSWORD',
]);
