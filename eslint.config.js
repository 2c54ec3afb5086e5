// ESLint: typescript-eslint's strict rules over the sources, tests and benchmarks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      // TypeScript resolves every identifier (Node's globals included) and reports unknown ones.
      'no-undef': 'off',
      // With noUncheckedIndexedAccess every indexed read is T | undefined; `!` marks the reads whose
      // index is known valid (loop bounds, ids checked on entry), which is most of them.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Getters in a returned object literal read the instance through a named alias.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['surface', 'pool'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // CommonJS fixtures exist to test require() consumers.
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
