import type { AppConfig } from '@pantheon/config';
import { generateProjectToken } from '@pantheon/crypto';
import type { ProjectSystemRepository } from '@pantheon/db';
import { API_CREDENTIAL_FILE, PROJECT_TOKEN_FILE, writeToolsSecret } from './tools-secrets';

type Config = Pick<AppConfig, 'TOOLS_CREDENTIALS_ROOT' | 'TOOLS_UID' | 'TOOLS_TOKEN_TTL_S'>;

/**
 * Issues the project's tools token (kind `tools`, earlier ones revoked, TOOLS_TOKEN_TTL_S) and writes it to
 * the project's tools-secrets folder. The database first: a file never holds a token the gateway does not know.
 */
export async function issueToolsToken(
  config: Config,
  projects: Pick<ProjectSystemRepository, 'issueToolsToken'>,
  project: { id: string; ownerId: string },
): Promise<Date> {
  const issued = generateProjectToken();
  const expiresAt = new Date(Date.now() + config.TOOLS_TOKEN_TTL_S * 1000);
  await projects.issueToolsToken({ projectId: project.id, userId: project.ownerId, hash: issued.hash, prefix: issued.displayPrefix, expiresAt });
  await writeToolsSecret(config.TOOLS_CREDENTIALS_ROOT, project.id, PROJECT_TOKEN_FILE, issued.token, config.TOOLS_UID);
  return expiresAt;
}

/** Writes the inbound credential the tools API compares against (idempotent: unchanged files are left alone). */
export function writeToolsCredential(config: Config, projectId: string, credential: string): Promise<boolean> {
  return writeToolsSecret(config.TOOLS_CREDENTIALS_ROOT, projectId, API_CREDENTIAL_FILE, credential, config.TOOLS_UID);
}
