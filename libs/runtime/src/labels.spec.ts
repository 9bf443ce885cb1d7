import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  containerName,
  isManaged,
  networkName,
  normalizeProjectId,
  projectSelector,
  resourceLabels,
  testRunSelector,
  type ResourceLabelsParams,
} from './labels';
import { RuntimeError, RuntimeErrorCode } from './runtime.errors';

const PROJECT = '0b7e4a52-93c1-4d7e-a0f4-3c2f5e9d8a61';
const OWNER = '5f1c2d3e-4b5a-4978-8c6d-1e2f3a4b5c6d';

function hasCode(code: RuntimeErrorCode) {
  return (error: unknown) => error instanceof RuntimeError && error.code === code;
}

describe('names', () => {
  it('derives deterministic container and network names from the project id', () => {
    assert.equal(containerName('vm', PROJECT), `pantheon-vm-${PROJECT}`);
    assert.equal(containerName('tools', PROJECT), `pantheon-tools-${PROJECT}`);
    assert.equal(containerName('share', PROJECT), `pantheon-share-${PROJECT}`);
    assert.equal(networkName(PROJECT), `pantheon-net-${PROJECT}`);
  });

  it('gives the same name whatever the case of the id', () => {
    assert.equal(containerName('vm', PROJECT.toUpperCase()), containerName('vm', PROJECT));
    assert.equal(networkName(PROJECT.toUpperCase()), networkName(PROJECT));
  });

  it('rejects ids that are not UUIDs, so no name can be injected', () => {
    for (const id of ['', 'abc', `${PROJECT}x`, `../${PROJECT}`, `${PROJECT} `, 'x'.repeat(36)]) {
      assert.throws(() => networkName(id), hasCode(RuntimeErrorCode.INVALID_PROJECT_ID), id);
      assert.throws(() => containerName('vm', id), hasCode(RuntimeErrorCode.INVALID_PROJECT_ID), id);
    }
  });

  it('normalizes ids to lower case', () => {
    assert.equal(normalizeProjectId(PROJECT.toUpperCase()), PROJECT);
  });
});

describe('resourceLabels', () => {
  it('sets managed, project and role', () => {
    assert.deepEqual(resourceLabels({ projectId: PROJECT, role: 'network' }), {
      'pantheon.managed': 'true',
      'pantheon.project': PROJECT,
      'pantheon.role': 'network',
    });
  });

  it('adds owner and test run when given', () => {
    assert.deepEqual(resourceLabels({ projectId: PROJECT, role: 'vm', ownerId: OWNER, testRun: 'run-1' }), {
      'pantheon.managed': 'true',
      'pantheon.project': PROJECT,
      'pantheon.role': 'vm',
      'pantheon.owner': OWNER,
      'pantheon.test-run': 'run-1',
    });
  });

  it('rejects a bad project id, owner id or empty test run', () => {
    const cases: [ResourceLabelsParams, RuntimeErrorCode][] = [
      [{ projectId: 'nope', role: 'vm' }, RuntimeErrorCode.INVALID_PROJECT_ID],
      [{ projectId: PROJECT, role: 'vm', ownerId: 'root' }, RuntimeErrorCode.INVALID_SPEC],
      [{ projectId: PROJECT, role: 'vm', testRun: '' }, RuntimeErrorCode.INVALID_SPEC],
    ];
    for (const [params, code] of cases) assert.throws(() => resourceLabels(params), hasCode(code));
  });
});

describe('selectors', () => {
  it('always include the managed label', () => {
    assert.deepEqual(projectSelector(PROJECT.toUpperCase()), {
      'pantheon.managed': 'true',
      'pantheon.project': PROJECT,
    });
    assert.deepEqual(testRunSelector('run-1'), { 'pantheon.managed': 'true', 'pantheon.test-run': 'run-1' });
  });

  it('match the labels of the objects they select', () => {
    const labels = resourceLabels({ projectId: PROJECT, role: 'share', testRun: 'run-1' });
    for (const selector of [projectSelector(PROJECT), testRunSelector('run-1')]) {
      for (const [key, value] of Object.entries(selector)) assert.equal(labels[key], value);
    }
  });
});

describe('isManaged', () => {
  it('is true only for pantheon.managed=true', () => {
    assert.equal(isManaged({ 'pantheon.managed': 'true' }), true);
    assert.equal(isManaged({ 'pantheon.managed': 'yes' }), false);
    assert.equal(isManaged({}), false);
    assert.equal(isManaged(undefined), false);
  });
});
