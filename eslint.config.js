// Lint config: typescript-eslint's recommended rules over every package's sources and tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/dist-test/**', '**/node_modules/**', 'bench-out/**', 'out/**', '**/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: Object.fromEntries([
        'process', 'console', 'URL', 'performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval',
        'setImmediate', 'Buffer', 'structuredClone', 'queueMicrotask', 'AbortController', 'AbortSignal',
        'TextEncoder', 'TextDecoder', 'fetch',
      ].map((name) => [name, 'readonly'])),
    },
  },
  {
    // The browser example's page and worker scripts (docs/browser.md).
    files: ['examples/browser/*.js'],
    languageOptions: {
      globals: Object.fromEntries(['document', 'self', 'location', 'Worker', 'URLSearchParams'].map((name) => [name, 'readonly'])),
    },
  },
);
