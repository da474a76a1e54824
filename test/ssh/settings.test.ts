// The extension settings that decide what runs (which ssh config file, whose ProxyCommand and Match exec run here;
// which server and which Node run on the host) cannot come from a workspace: an opened folder's
// .vscode/settings.json must not be able to run commands. VS Code enforces it from the "scope" in package.json.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  contributes: {
    configuration:
      { properties: Record<string, { scope?: string }> } | { properties: Record<string, { scope?: string }> }[];
  };
};

test('mosh.sshConfigFile, mosh.server and mosh.remoteNodePath can be set per user or machine, never per workspace', () => {
  const conf = manifest.contributes.configuration;
  const props = Object.assign({}, ...(Array.isArray(conf) ? conf : [conf]).map((c) => c.properties)) as Record<
    string,
    { scope?: string }
  >;
  for (const key of ['mosh.sshConfigFile', 'mosh.server', 'mosh.remoteNodePath']) {
    assert.ok(props[key], `${key} is declared`);
    assert.ok(
      ['machine', 'application'].includes(props[key].scope ?? 'window'),
      `${key} has scope ${props[key].scope ?? '(none: window)'}`,
    );
  }
});
