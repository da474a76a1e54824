// The layering rules of ARCHITECTURE.md as eslint.config.mjs enforces them: imports against the picture are
// refused with a message naming the rule, imports along it pass. Lints source text as if it sat in each folder.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const ROOT = join(__dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: ROOT });

async function problems(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('transport may not import the emulator, and says which rule that breaks', async () => {
  const p = await problems(
    'src/transport/x.ts',
    "import { Emulator } from '../emulator';\nexport const a = Emulator;\n",
  );
  assert.equal(p.length, 1);
  assert.match(p[0], /transport\/ may not import emulator\/.*ARCHITECTURE\.md, "Layers and imports"/);
});

test("a layer imports another layer's index, not its files", async () => {
  assert.match(
    (
      await problems('src/client/x.ts', "import { parseKey } from '../transport/key';\nexport const a = parseKey;\n")
    )[0],
    /not its files/,
  );
  assert.deepEqual(
    await problems('src/client/x.ts', "import { parseKey } from '../transport';\nexport const a = parseKey;\n"),
    [],
  );
});

test('the front ends talk to client/ and ssh/ only, and nothing below them uses vscode', async () => {
  assert.match(
    (
      await problems(
        'src/vscode/x.ts',
        "import { PredictionEngine } from '../predict';\nexport const a = PredictionEngine;\n",
      )
    )[0],
    /vscode\/ may not import predict\//,
  );
  assert.match(
    (await problems('src/cli/x.ts', "import { Emulator } from '../emulator';\nexport const a = Emulator;\n"))[0],
    /cli\/ may not import emulator\//,
  );
  assert.match(
    (await problems('src/client/x.ts', "import * as v from 'vscode';\nexport const a = v;\n"))[0],
    /client\/ may not use vscode/,
  );
  assert.match(
    (await problems('src/ssh/x.ts', "import { MoshClient } from '../client';\nexport const a = MoshClient;\n"))[0],
    /ssh\/ may not import client\//,
  );
  assert.match(
    (await problems('src/common/x.ts', "import { Transport } from '../transport';\nexport const a = Transport;\n"))[0],
    /common\/ may not import transport\//,
  );
  assert.deepEqual(
    await problems(
      'src/vscode/x.ts',
      "import { MoshClient } from '../client';\nimport { listHosts } from '../ssh';\nexport const a = [MoshClient, listHosts];\n",
    ),
    [],
  );
});

test('the server uses statesync, emulator and transport only, and never ssh2', async () => {
  assert.match(
    (await problems('server/x.ts', "import { MoshClient } from '../src/client';\nexport const a = MoshClient;\n"))[0],
    /server\/ imports only/,
  );
  assert.match(
    (await problems('server/x.ts', "import { Client } from 'ssh2';\nexport const a = Client;\n"))[0],
    /server\/ may not use ssh2/,
  );
  assert.deepEqual(
    await problems('server/x.ts', "import { Emulator } from '../src/emulator';\nexport const a = Emulator;\n"),
    [],
  );
});
