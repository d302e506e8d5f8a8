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
  const restrict = (files, extra = [], ignores = []) => ({
    files,
    ignores: ['**/*.test.ts', '**/test-support/**', 'server/test/**', ...ignores],
    rules: {
      'no-restricted-imports': ['error', { paths: SHIPPED.paths, patterns: [...SHIPPED.patterns, ...extra] }],
    },
  });
  return [
    restrict(
      ['electron/**/*.ts', 'shared/**/*.ts', 'server/**/*.ts'],
      [],
      ['server/services/**', 'server/lib/**', 'server/db/**'],
    ),
    // The provider's layers point one way: routes → services → lib → db. HTTP stays in
    // routes; the rules in services run without it (admin operations, the seed).
    restrict(
      ['server/services/**/*.ts'],
      [{ group: ['../routes/*'], message: 'Services know nothing of HTTP routes.' }],
    ),
    restrict(
      ['server/lib/**/*.ts', 'server/db/**/*.ts'],
      [{ group: ['../routes/*', '../services/*'], message: 'lib/ and db/ sit below services and routes.' }],
    ),
    // The mock is the provider behind faults: it builds the provider and seeds it, and
    // reaches none of its insides (which is what keeps it from growing a second copy).
    restrict(
      ['server-mock/**/*.ts'],
      [
        {
          regex: '^\\.\\./server/(?!app\\.ts$|seed/)',
          message: 'The mock uses only the provider app factory (server/app.ts) and its seed.',
        },
      ],
    ),
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
    files: ['renderer/tests/**/*.{ts,tsx}', 'e2e/**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  // Import boundaries, as Heroic and Signal keep them. ESLint replaces (does not merge) a
  // rule's options when two blocks name the same file, so each block below lists every
  // restriction that applies to its files.
  ...importBoundaries(),
);
