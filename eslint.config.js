// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

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
  {
    // What ships (the app, the CLI, the web shell, the provider) never imports build
    // tooling or the developer-only runners: the packages carry no Vite, electron-vite or
    // electron-builder, and `npm start`'s orchestration is not part of the app.
    files: ['electron/**/*.ts', 'server/**/*.ts', 'shared/**/*.ts'],
    ignores: ['**/*.test.ts', '**/test-support/**', 'server/test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['vite', '@vitejs/plugin-react', 'electron-vite', 'electron-builder', 'esbuild'].map(
            (name) => ({ name, message: 'Build tooling stays out of what ships (see packaging/).' }),
          ),
          patterns: [
            {
              group: ['**/dev/*', '**/packaging/*'],
              message: 'Developer-only code (npm start, packaging) is not part of the app.',
            },
          ],
        },
      ],
    },
  },
  {
    // The mock is the provider behind faults: it builds the provider and seeds it, and
    // reaches none of its insides (which is what keeps it from growing a second copy).
    files: ['server-mock/**/*.ts'],
    ignores: ['server-mock/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./server/(?!app\\.ts$|seed/)',
              message: 'The mock uses only the provider app factory (server/app.ts) and its seed.',
            },
          ],
        },
      ],
    },
  },
);
