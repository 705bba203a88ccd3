// ESLint (flat config) with typescript-eslint; Prettier owns the layout (npm run format).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import layers from './tools/eslint-layers.js';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    plugins: { layers },
    rules: {
      'layers/imports-point-down': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Prettier wraps code at 110; what it cannot wrap must still read. Long messages stay whole
      // (greppable), so strings, templates and regular expressions are exempt.
      'max-len': [
        'error',
        {
          code: 120,
          ignoreUrls: true,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
        },
      ],
      'no-console': 'error',
    },
  },
  {
    // Tests and the test runner may import any layer and print.
    files: ['test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // The tooling scripts run in Node.
    files: ['tools/**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly' } },
  },
);
