import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layering of ARCHITECTURE.md ("Layers and imports"), enforced: each folder lists the layers it may import
// (through their index.ts, never their files) and the packages it must not. An import against the picture fails
// `npm run lint` with a message naming the rule it breaks.
const LAYERS = ['common', 'transport', 'statesync', 'emulator', 'predict', 'client', 'ssh', 'vscode', 'cli'];
const RULE = 'ARCHITECTURE.md, "Layers and imports"';

/** no-restricted-imports for a folder of src/ that may import `allowed` layers and none of `packages`. */
function layer(name, allowed, packages, why) {
  const patterns = [];
  for (const other of LAYERS) {
    if (other === name) continue;
    if (allowed.includes(other) || other === 'common') {
      patterns.push({
        group: [`../${other}/*`],
        message: `import ../${other} (its index.ts), not its files: each layer exposes one surface (${RULE}).`,
      });
    } else {
      patterns.push({
        group: [`../${other}`, `../${other}/*`],
        message: `${name}/ may not import ${other}/: ${why} (${RULE}).`,
      });
    }
  }
  patterns.push({ group: ['../extension', '../../*'], message: `${name}/ reaches outside its layers (${RULE}).` });
  return {
    files: [`src/${name}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: packages.map((p) => ({ name: p, message: `${name}/ may not use ${p}: ${why} (${RULE}).` })),
          patterns,
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'build/', 'src/**/gen/', '.bench-tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  layer(
    'common',
    [],
    ['vscode', 'ssh2', '@xterm/headless'],
    'common/ holds process-level helpers that depend on no layer of ours',
  ),
  layer(
    'transport',
    [],
    ['vscode', 'ssh2', '@xterm/headless'],
    'transport knows nothing of terminals, sessions or front ends',
  ),
  layer('emulator', [], ['vscode', 'ssh2', 'node:dgram', 'node:net'], 'the emulator knows nothing of networks'),
  layer(
    'statesync',
    ['transport', 'emulator'],
    ['vscode', 'ssh2'],
    'the synchronized states sit on transport/ and emulator/ only',
  ),
  layer(
    'predict',
    ['emulator'],
    ['vscode', 'ssh2', 'node:dgram'],
    'prediction reads framebuffers and draws overlays, nothing more',
  ),
  layer(
    'client',
    ['transport', 'statesync', 'emulator', 'predict'],
    ['vscode', 'ssh2'],
    'MoshClient composes the session layers; ssh and the front ends sit above it',
  ),
  layer('ssh', [], ['vscode'], 'the ssh bootstrap stands alone: the front ends join it to the client'),
  layer('vscode', ['client', 'ssh'], [], 'the VS Code front end is thin: it talks to client/ and ssh/ only'),
  layer('cli', ['client', 'ssh'], ['vscode'], 'the terminal front end is thin: it talks to client/ and ssh/ only'),
  {
    files: ['src/extension.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: LAYERS.filter((l) => l !== 'vscode').flatMap((l) => [`./${l}`, `./${l}/*`]),
              message: `extension.ts registers what src/vscode/ provides and imports nothing else of ours (${RULE}).`,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['vscode', 'ssh2', 'ssh-config'].map((p) => ({
            name: p,
            message: `server/ may not use ${p}: it runs on the remote host under plain Node (${RULE}).`,
          })),
          patterns: [
            {
              group: [
                '../src/client',
                '../src/client/*',
                '../src/predict',
                '../src/predict/*',
                '../src/ssh',
                '../src/ssh/*',
                '../src/vscode',
                '../src/vscode/*',
                '../src/cli',
                '../src/cli/*',
                '../src/extension',
              ],
              message: `server/ imports only statesync/, emulator/, transport/ and common/ (${RULE}).`,
            },
            {
              group: ['../src/transport/*', '../src/statesync/*', '../src/emulator/*', '../src/common/*'],
              message: `import the layer's index.ts (../src/<layer>), not its files (${RULE}).`,
            },
          ],
        },
      ],
    },
  },
);
