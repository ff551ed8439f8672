import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'functions/lib/', '.local/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Tests read JSON answers field by field, as a client would.
    files: ['test/**', 'local-servers/test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Scripts, local servers and benchmarks talk to a person on a terminal.
    files: ['scripts/**', 'local-servers/**', 'bench/**', 'test/support/**'],
    rules: { 'no-console': 'off' },
  },
);
