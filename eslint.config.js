// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'reports/**', '.cache/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Only the CLI entry points decide the exit code.
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'exit',
          message: 'Only scripts/ may call process.exit: throw a LeakbenchError instead.',
        },
      ],
    },
  },
  {
    // Issue #20: a long function is split into ones whose names say what each part does.
    files: ['src/**', 'scripts/**'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Bundled into the report and the live view's page (src/report/browser-bundle.ts).
    files: ['src/report/browser/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['scripts/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The benchmarks' entry points decide their own exit code, like scripts/.
    files: ['bench/run.ts', 'bench/verdicts.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
