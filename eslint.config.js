// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** What ships (the app, the CLI, the web shell, the provider) never imports build tooling or developer-only runners. */
const SHIPPED = {
  paths: ['vite', '@vitejs/plugin-react', 'electron-vite', 'electron-builder', 'esbuild'].map((name) => ({
    name,
    message: 'Build tooling stays out of what ships (see packaging/).',
  })),
  patterns: [
    {
      group: ['**/dev/*', '**/packaging/*'],
      message: 'Developer-only code (npm start, packaging) is not part of the app.',
    },
  ],
};

/** One block per set of files, each with all of its restrictions. */
function importBoundaries() {
  const NO_TEST_SUPPORT = {
    group: ['**/test-support/*', '**/server/test/*', '../test/*'],
    message: 'Test scaffolding stays out of production code.',
  };
  const restrict = (files, extra = { paths: [], patterns: [] }, ignores = []) => ({
    files,
    ignores: ['**/*.test.ts', '**/*.test.tsx', '**/test-support/**', 'server/test/**', ...ignores],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...SHIPPED.paths, ...(extra.paths ?? [])],
          patterns: [...SHIPPED.patterns, NO_TEST_SUPPORT, ...(extra.patterns ?? [])],
        },
      ],
    },
  });
  const own = ['electron/core/**', 'shared/**', 'server/services/**', 'server/lib/**', 'server/db/**'];
  return [
    restrict(['electron/**/*.ts', 'shared/**/*.ts', 'server/**/*.ts'], undefined, own),
    // The core is plain Node: no Electron, and nothing of the provider.
    restrict(['electron/core/**/*.ts'], {
      paths: [{ name: 'electron', message: 'The core runs without Electron (the CLI, the web shell).' }],
      patterns: [
        { group: ['**/server/*', '**/server/**'], message: 'The core talks to the provider over HTTP only.' },
      ],
    }),
    // What both halves import depends on neither.
    restrict(['shared/**/*.ts'], {
      patterns: [
        {
          group: [
            '**/electron/**',
            '**/server/**',
            '**/renderer/**',
            '**/server-mock/**',
            '**/dev/**',
            '**/test-support/**',
          ],
          message: 'shared/ imports nothing outside itself.',
        },
      ],
    }),
    // The provider's layers point one way: routes → services → lib → db. HTTP stays in
    // routes; the rules in services run without it (admin operations, the seed).
    restrict(['server/services/**/*.ts'], {
      patterns: [{ group: ['../routes/*'], message: 'Services know nothing of HTTP routes.' }],
    }),
    restrict(['server/lib/**/*.ts', 'server/db/**/*.ts'], {
      patterns: [
        { group: ['../routes/*', '../services/*'], message: 'lib/ and db/ sit below services and routes.' },
      ],
    }),
    // The mock is the provider behind faults: it builds the provider and seeds it, and
    // reaches none of its insides (which is what keeps it from growing a second copy).
    restrict(['server-mock/**/*.ts'], {
      patterns: [
        {
          regex: '^\\.\\./server/(?!app\\.ts$|seed/)',
          message: 'The mock uses only the provider app factory (server/app.ts) and its seed.',
        },
      ],
    }),
    // The renderer is a web page that talks to the app through AppApi alone.
    restrict(['renderer/src/**/*.{ts,tsx}'], {
      patterns: [
        {
          group: [
            '**/electron/*',
            '**/electron/**',
            '**/server/*',
            '**/server/**',
            '**/server-mock/*',
            'node:*',
          ],
          message: 'The renderer reaches the app through AppApi only.',
        },
        {
          regex: '(^@shared/|/shared/)(?!app-api/(app-api|app-errors|proxy)\\.ts$|format\\.ts$)',
          message: 'The renderer imports only the app API and pure shared modules.',
        },
      ],
    }),
  ];
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'coverage/**', 'data/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The renderer is a web page: browser globals, and no Node.js ones. (Its tests run in
    // Node with a DOM, so they get both; see below.)
    files: ['renderer/src/**/*.{ts,tsx}'],
    languageOptions: {
      globals: {
        ...Object.fromEntries(
          Object.keys(globals.node)
            .filter((name) => !(name in globals.browser))
            .map((name) => [name, 'off']),
        ),
        ...globals.browser,
      },
    },
  },
  {
    files: ['renderer/test/**/*.{ts,tsx}', 'e2e/**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  // Import boundaries, as Heroic and Signal keep them. ESLint replaces (does not merge) a
  // rule's options when two blocks name the same file, so each block below lists every
  // restriction that applies to its files.
  ...importBoundaries(),
);
