// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'net', 'url', 'stream', 'events', 'util', 'worker_threads'];

/** Layer zones: code is placed by the environment it runs in, and these rules keep it there. An array is one
 * gitignore-style group, so it can re-allow a file with `!`. */
const zone = (files, forbidden, message, ignores = []) => ({
  files,
  ignores,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [group].flat(), message })) }],
  },
});

const serverForbidden = ['electron', 'electron/*', '**/src/main/**', '**/src/preload/**', '**/src/renderer/**'];
/** Feature folders of the server; each exposes itself through its index.ts. */
const serverFeatures = ['accounts', 'chat', 'health', 'media', 'presence', 'web'];
// Tests may reach into any module they specify.
const serverTests = ['server/**/*.test.ts'];

export default tseslint.config(
  { ignores: ['out/', 'dist/', 'node_modules/', 'storybook-static/', 'test-results/', 'playwright-report/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  zone(['server/**'], serverForbidden, 'server/ runs headless: it never imports Electron or the desktop layers.'),
  // Floors inside the server (each zone repeats serverForbidden: a later zone replaces an earlier one).
  zone(['server/infra/**'], [...serverForbidden, '**/features/**'], 'server/infra is the floor below the features: it never imports them.', serverTests),
  zone(['server/*.ts'], [...serverForbidden, ['**/features/*/**', '!**/features/*/index.js']], 'The server composes features through their entry (features/<name>/index.ts) only.', serverTests),
  ...serverFeatures.map((feature) =>
    zone(
      [`server/features/${feature}/**`],
      [...serverForbidden, ...serverFeatures.filter((other) => other !== feature).map((other) => [`**/${other}/**`, `!**/features/${other}/index.js`, `!../${other}/index.js`, `!../../${other}/index.js`])],
      'A feature reaches another only through its entry (features/<name>/index.ts).',
      serverTests,
    ),
  ),
  zone(['src/shared/**'], ['electron', ...nodeBuiltins, '**/server/**', '**/main/**', '**/preload/**', '**/renderer/**'], 'src/shared is pure TypeScript: no environment, no other layer.'),
  zone(['src/renderer/**'], ['electron', ...nodeBuiltins, '**/server/**', '**/src/main/**', '**/src/preload/**', '../../main/**', '../../preload/**'], 'The renderer imports only src/shared and browser code.'),
  zone(['src/preload/**'], ['**/server/**', '**/main/**', '**/renderer/**', ...nodeBuiltins], 'The preload imports only src/shared and electron.'),
  zone(['src/main/**'], ['**/renderer/**', '**/preload/**'], 'Main talks to the renderer only over IPC.'),
  // Main hosts the server through its process entry and config only (tests may reach further in). One zone
  // per file set: a later no-restricted-imports entry replaces an earlier one instead of adding to it.
  zone(
    ['src/main/**'],
    ['**/renderer/**', '**/preload/**', ['**/server/**', '!**/server/server-process.js', '!**/server/config.js']],
    'Main talks to the renderer only over IPC, and hosts the server through server/server-process.ts and server/config.ts only.',
    ['src/main/**/*.test.ts'],
  ),
);
