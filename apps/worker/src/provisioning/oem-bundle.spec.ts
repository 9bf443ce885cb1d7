import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { installBat, OEM_LAYOUT, supervisorVbs, writeOemBundle } from './oem-bundle';

const TOKEN = 'gat_0123456789abcdefABCDEF-_';
/** dist/ of this build: this spec runs from dist/apps/worker/src/provisioning. */
const REAL_DIST = resolve(__dirname, '../../../..');

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

describe('writeOemBundle', () => {
  let base: string;
  let dist: string;
  let oem: string;
  let warnings: string[];
  const logger = { warn: (m: string) => void warnings.push(m) };

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'oem-bundle-spec-'));
    dist = join(base, 'dist');
    oem = join(base, 'oem', 'project-a');
    warnings = [];
    for (const [file, text] of [
      ['apps/guest-agent/src/main.js', 'require("./os/linux.adapter");'],
      ['apps/guest-agent/src/main.js.map', '{}'],
      ['apps/guest-agent/src/main.d.ts', ''],
      ['apps/guest-agent/src/os/linux.adapter.js', 'require("../../../../libs/guest-agent/src/index.js");'],
      ['apps/guest-agent/src/os/windows.adapter.spec.js', ''],
      ['libs/guest-agent/src/index.js', ''],
      ['libs/guest-agent/src/protocol.js', ''],
      ['apps/worker/src/main.js', 'the worker: never in a VM'],
    ]) {
      mkdirSync(dirname(join(dist, file)), { recursive: true });
      writeFileSync(join(dist, file), text);
    }
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('writes install.bat, the supervisor, the agent in its dist layout and a 0400 token, and warns without node.exe', async () => {
    const result = await writeOemBundle({ dir: oem, agentToken: TOKEN, agentDistDir: dist, logger });
    const expected = [
      'install.bat',
      'pantheon/agent-token',
      'pantheon/agent/apps/guest-agent/src/main.js',
      'pantheon/agent/apps/guest-agent/src/os/linux.adapter.js',
      'pantheon/agent/libs/guest-agent/src/index.js',
      'pantheon/agent/libs/guest-agent/src/protocol.js',
      'pantheon/run-agent.vbs',
    ];
    assert.deepEqual(listFiles(oem), expected);
    assert.deepEqual(result, { files: expected, windowsNode: false });
    assert.equal(readFileSync(join(oem, OEM_LAYOUT.token), 'utf8'), TOKEN);
    assert.equal(statSync(join(oem, OEM_LAYOUT.token)).mode & 0o777, 0o400);
    assert.equal(statSync(join(oem, 'pantheon')).mode & 0o777, 0o755);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /no Windows node\.exe/);
  });

  it('copies node.exe when configured, and a rewrite replaces token and agent in place', async () => {
    const nodeExe = join(base, 'node.exe');
    writeFileSync(nodeExe, 'MZ fake windows node');
    await writeOemBundle({ dir: oem, agentToken: TOKEN, agentDistDir: dist, windowsNodePath: nodeExe, logger });
    writeFileSync(join(oem, OEM_LAYOUT.agentRoot, 'stale.js'), 'old agent file');
    const again = await writeOemBundle({ dir: oem, agentToken: `${TOKEN}-2`, agentDistDir: dist, windowsNodePath: nodeExe, logger });
    assert.equal(again.windowsNode, true);
    assert.equal(readFileSync(join(oem, OEM_LAYOUT.nodeExe), 'utf8'), 'MZ fake windows node');
    assert.equal(readFileSync(join(oem, OEM_LAYOUT.token), 'utf8'), `${TOKEN}-2`);
    assert.equal(existsSync(join(oem, OEM_LAYOUT.agentRoot, 'stale.js')), false);
    assert.deepEqual(warnings, []);
    // A configured but missing node.exe: bundle without it, and say so.
    const missing = await writeOemBundle({ dir: oem, agentToken: TOKEN, agentDistDir: dist, windowsNodePath: join(base, 'nope.exe'), logger });
    assert.equal(missing.windowsNode, false);
    assert.equal(existsSync(join(oem, OEM_LAYOUT.nodeExe)), false);
    assert.match(warnings[0]!, /not found at .*nope\.exe/);
  });

  it('puts no secret but the agent token in the bundle', async () => {
    const secrets = ['sk-ant-provider-key', 'pt_project_token', 'tac_tools_credential', 'master-key-material'];
    await writeOemBundle({ dir: oem, agentToken: TOKEN, agentDistDir: dist, logger });
    for (const file of listFiles(oem)) {
      const text = readFileSync(join(oem, file), 'utf8');
      for (const secret of secrets) assert.equal(text.includes(secret), false, `${file} holds ${secret}`);
      if (file !== OEM_LAYOUT.token) assert.equal(text.includes(TOKEN), false, `the token leaked into ${file}`);
      assert.equal(text.includes('the worker: never in a VM'), false, `${file} is not agent code`);
    }
  });

  it('refuses a weak token and an unbuilt agent', async () => {
    await assert.rejects(writeOemBundle({ dir: oem, agentToken: 'short', agentDistDir: dist }), /agent token/);
    await assert.rejects(writeOemBundle({ dir: oem, agentToken: TOKEN, agentDistDir: join(base, 'nodist') }), /guest agent not built/);
    assert.equal(existsSync(oem), false, 'nothing written on refusal');
  });

  it('bundles the real compiled agent so that every relative require resolves inside the bundle', async () => {
    await writeOemBundle({ dir: oem, agentToken: TOKEN, agentDistDir: REAL_DIST, logger });
    const files = listFiles(oem).filter((f) => f.endsWith('.js'));
    assert.ok(files.includes(OEM_LAYOUT.agentMain));
    let checked = 0;
    for (const file of files) {
      for (const [, spec] of readFileSync(join(oem, file), 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
        if (spec!.startsWith('node:')) continue;
        assert.ok(spec!.startsWith('.'), `${file} requires a package: ${spec}`);
        const target = resolve(dirname(join(oem, file)), spec!);
        assert.ok([target, `${target}.js`, join(target, 'index.js')].some(existsSync), `${file}: ${spec} does not resolve`);
        assert.ok(!relative(join(oem, OEM_LAYOUT.agentRoot), target).startsWith('..'), `${file}: ${spec} leaves the bundle`);
        checked++;
      }
    }
    assert.ok(checked > 10, 'the agent has relative requires to check');
  });
});

describe('install.bat', () => {
  const bat = installBat();
  const lines = bat.split('\r\n');

  it('uses CRLF and works from wherever dockurr copied /oem', () => {
    assert.equal(bat.replace(/\r\n/g, '').includes('\n'), false, 'no bare LF');
    assert.ok(lines.includes('set "PANTHEON=%~dp0pantheon"'));
  });

  it('opens TCP 9000 in the firewall, registers a highest-privilege logon task with restart, and starts it', () => {
    const rule = lines.find((l) => l.startsWith('netsh advfirewall firewall add rule'));
    assert.match(rule ?? '', /name="Pantheon Guest Agent" dir=in action=allow protocol=TCP localport=9000/);
    const task = lines.find((l) => l.startsWith('schtasks /Create'));
    assert.match(task ?? '', /\/TN PantheonGuestAgent \/SC ONLOGON \/RL HIGHEST/);
    assert.match(task ?? '', /\/TR "wscript\.exe \\"%PANTHEON%\\run-agent\.vbs\\""/);
    const ps = lines.find((l) => l.startsWith('powershell.exe'));
    assert.match(ps ?? '', /New-ScheduledTaskSettingsSet -RestartCount 999 -RestartInterval \(New-TimeSpan -Minutes 1\)/);
    assert.match(ps ?? '', /New-ScheduledTaskPrincipal -UserId \$env:USERNAME -LogonType Interactive -RunLevel Highest/);
    assert.match(ps ?? '', /Register-ScheduledTask -TaskName PantheonGuestAgent .* -Force/);
    // cmd toggles quoting on every '"': an even count keeps the log redirection outside the quotes.
    assert.equal(((ps ?? '').split('>>')[0]!.match(/"/g) ?? []).length % 2, 0);
    assert.ok(lines.some((l) => l.startsWith('schtasks /Run /TN PantheonGuestAgent')));
    assert.ok(lines.findIndex((l) => l.startsWith('schtasks /Run')) > lines.findIndex((l) => l.startsWith('powershell.exe')));
  });

  it('restricts the token to SYSTEM, Administrators and the logon user', () => {
    assert.ok(lines.some((l) => /^icacls "%PANTHEON%\\agent-token" \/inheritance:r \/grant:r \*S-1-5-18:R \*S-1-5-32-544:R "%USERNAME%":R/.test(l)));
  });

  it('the supervisor runs node hidden with the agent, port and token file, and restarts it', () => {
    const vbs = supervisorVbs();
    assert.match(vbs, /"\\node\.exe"" """ & dir & "\\agent\\apps\\guest-agent\\src\\main\.js"" --port 9000 --token-file """ & dir & "\\agent-token"""/);
    assert.match(vbs, /shell\.Run command, 0, True/);
    assert.match(vbs, /Do\r\n.*\r\n.*WScript\.Sleep 5000\r\nLoop/);
  });
});
