import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The host folder of a project's shared files. */
export function shareDirFor(shareRoot: string, projectId: string): string {
  return join(shareRoot, projectId);
}

const README = `This folder is shared between your Pantheon project's Windows VM and its tools.
Files you put here are visible to the VM. No credentials are ever stored here: the VM reaches AI models
through the platform's gateway with a short-lived project token.
`;

/** Creates the project's shared folder with a README (idempotent). It never contains secrets. */
export async function prepareShareFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFile(`${dir}/README.txt`, README, { mode: 0o644 });
}

export async function removeShareFolder(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
