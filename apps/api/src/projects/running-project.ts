import type { ProjectRecord } from '@pantheon/db';
import { ProjectSubnet, subnetForIndex } from '@pantheon/ipam';
import { DomainError, DomainErrorCode } from '../common/domain.error';

/**
 * The network of a project that must be running for `purpose` (its tools, its desktop): 404 when the caller
 * cannot see it (row-level security makes someone else's project absent), 409 while it is not running.
 */
export function runningProjectSubnet(project: ProjectRecord | null, purpose: string): ProjectSubnet {
  if (!project) throw DomainError.notFound('Project');
  if (project.status !== 'running' || !project.subnetIndex) {
    throw new DomainError(DomainErrorCode.CONFLICT, `The project is not running (status ${project.status}), so ${purpose}`);
  }
  return subnetForIndex(project.subnetIndex);
}
