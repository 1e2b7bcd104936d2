import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    // End-to-end tests spawn dist/cli.js against real git repositories: give them room on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // @actions/workflow-parser imports its JSON schemas without import attributes, which Node refuses:
    // let Vite transform it instead of handing it to Node.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
