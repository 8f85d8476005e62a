import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', '.build/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  { languageOptions: { globals: globals.node } },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // cli/ and bench/ sit on top and may import every layer; below them, nothing imports lab/ or cli/.
    // Tests are not shipped: they may import any layer (DESIGN.md, layers.test.ts).
    files: ['**/*.ts'],
    ignores: ['src/cli/**', 'src/bench/**', 'src/lab/**', '**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../lab/*', '../cli/*'], message: 'Imports flow downward only (see DESIGN.md).' }] },
      ],
    },
  },
  {
    // The light layers carry no runtime dependency beyond Node (and dns-packet for dns/).
    files: ['src/core/**', 'src/policy/**', 'src/health/**', 'src/plan/**', 'src/admit/**'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!node:|\\.)', message: 'core/policy/health/plan/admit take no runtime dependency.' },
            {
              group: ['../lab/*', '../cli/*', '../client/*', '../chaos/*', '../drill/*', '../sim/*', '../status/*'],
              message: 'Imports flow downward only.',
            },
          ],
        },
      ],
    },
  },
);
