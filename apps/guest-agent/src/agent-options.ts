/** How the agent is configured: CLI flags win over env, env over defaults. The only reader of process.env here. */
export interface AgentOptions {
  port: number;
  host: string;
  tokenFile: string;
  adapter: 'linux' | 'windows';
}

export class AgentOptionsError extends Error {
  override readonly name = 'AgentOptionsError';
}

const FLAGS: Record<string, { key: keyof AgentOptions; env: string }> = {
  '--port': { key: 'port', env: 'PANTHEON_AGENT_PORT' },
  '--host': { key: 'host', env: 'PANTHEON_AGENT_HOST' },
  '--token-file': { key: 'tokenFile', env: 'PANTHEON_AGENT_TOKEN_FILE' },
  '--adapter': { key: 'adapter', env: 'PANTHEON_AGENT_ADAPTER' },
};

export const AGENT_USAGE = `usage: node main.js [--port 9000] [--host 0.0.0.0] [--token-file <path>] [--adapter windows|linux]
  env: PANTHEON_AGENT_PORT, PANTHEON_AGENT_HOST, PANTHEON_AGENT_TOKEN_FILE, PANTHEON_AGENT_ADAPTER
  defaults: port 9000, host 0.0.0.0, token file C:\\OEM\\pantheon\\agent-token (Windows) or /oem/pantheon/agent-token,
            adapter from the platform`;

/** @throws AgentOptionsError naming the bad flag or variable. */
export function parseAgentOptions(argv: string[], env: NodeJS.ProcessEnv, platform: NodeJS.Platform): AgentOptions {
  const raw: Partial<Record<keyof AgentOptions, { value: string; from: string }>> = {};
  for (const { key, env: name } of Object.values(FLAGS)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = { value, from: name };
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const spec = FLAGS[flag];
    if (spec === undefined) throw new AgentOptionsError(`unknown option ${flag}`);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') throw new AgentOptionsError(`${flag} needs a value`);
    raw[spec.key] = { value, from: flag };
  }

  const port = Number(raw.port?.value ?? 9000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AgentOptionsError(`${raw.port?.from}: must be a port 1-65535`);
  const adapter = raw.adapter?.value ?? (platform === 'win32' ? 'windows' : 'linux');
  if (adapter !== 'windows' && adapter !== 'linux') throw new AgentOptionsError(`${raw.adapter?.from}: must be windows or linux`);
  return {
    port,
    host: raw.host?.value ?? '0.0.0.0',
    tokenFile: raw.tokenFile?.value ?? (platform === 'win32' ? 'C:\\OEM\\pantheon\\agent-token' : '/oem/pantheon/agent-token'),
    adapter,
  };
}
