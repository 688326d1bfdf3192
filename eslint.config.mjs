import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: it may only reach engines and
    // drivers through activities (DESIGN.md: a workflow never imports an engine).
    files: ['src/workflows/**/*.ts', 'src/spec/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Types are erased: a workflow may name an engine's model, never run its code.
              group: ['**/engines/**', '**/dataplane/**'],
              allowTypeImports: true,
              message: 'workflows and specs stay deterministic: use an activity (type imports are fine)',
            },
            {
              group: ['**/connections*', 'pg', 'mysql2*', 'node:*', 'fs', 'child_process'],
              message: 'workflows and specs stay deterministic: use an activity',
            },
            {
              group: ['**/activities/**'],
              allowTypeImports: true,
              message: 'import activities as types only',
            },
          ],
        },
      ],
    },
  },
);
