import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ENV_FILE_NAME, parseEnvFile, renderEnvFile, SOURCE_LINE, updatePosixEnv } from './posix-env-file';

describe('the POSIX user environment file', () => {
  const dirs: string[] = [];
  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-env-'));
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('round-trips values with quotes and spaces', () => {
    const vars = new Map([['A_B', "it's a \"value\" with $HOME and `x`"], ['C', '']]);
    assert.deepEqual(parseEnvFile(renderEnvFile(vars)), vars);
  });

  it('writes ~/.pantheon-env 0600, merges and removes, and a new login shell sees exactly the values', async () => {
    const dir = home();
    writeFileSync(join(dir, '.profile'), '# mine\nexport KEEP=1');
    await updatePosixEnv(dir, { OPENAI_API_KEY: "pt_a'b", OPENAI_BASE_URL: 'http://172.30.7.3:3000/v1', PANTHEON_X: 'gone soon' });
    await updatePosixEnv(dir, { OPENAI_API_KEY: 'pt_second', PANTHEON_X: null });
    const file = join(dir, ENV_FILE_NAME);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(parseEnvFile(readFileSync(file, 'utf8')), new Map([['OPENAI_API_KEY', 'pt_second'], ['OPENAI_BASE_URL', 'http://172.30.7.3:3000/v1']]));
    const profile = readFileSync(join(dir, '.profile'), 'utf8');
    assert.ok(profile.startsWith('# mine\nexport KEEP=1\n'), 'the user\'s own lines stay');
    assert.equal(profile.split('\n').filter((l) => l === SOURCE_LINE).length, 1, 'sourced once, however often it is written');
    assert.ok(readFileSync(join(dir, '.bashrc'), 'utf8').includes(SOURCE_LINE));
    const out = execFileSync('/bin/sh', ['-lc', 'echo "$OPENAI_API_KEY|$OPENAI_BASE_URL|${PANTHEON_X-unset}|$KEEP"'], { env: { HOME: dir, PATH: '/usr/bin:/bin' } });
    assert.equal(out.toString().trim(), 'pt_second|http://172.30.7.3:3000/v1|unset|1');
  });

  it('replaces a link planted in place of the env file instead of writing through it; leaves a linked .bashrc alone', async () => {
    const dir = home();
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'do not touch');
    symlinkSync(target, join(dir, ENV_FILE_NAME));
    symlinkSync(target, join(dir, '.bashrc'));
    await updatePosixEnv(dir, { ANTHROPIC_API_KEY: 'pt_x' });
    assert.equal(readFileSync(target, 'utf8'), 'do not touch');
    assert.ok(lstatSync(join(dir, ENV_FILE_NAME)).isFile());
    assert.ok(lstatSync(join(dir, '.bashrc')).isSymbolicLink());
    assert.ok(readFileSync(join(dir, '.profile'), 'utf8').includes(SOURCE_LINE));
  });
});
