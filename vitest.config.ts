import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      // Workers AI / Vectorize are production-only; never open a remote session from tests.
      remoteBindings: false,
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL("./migrations", import.meta.url))),
          HEARTH_ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
          TOKEN_SIGNING_KEYS: JSON.stringify([
            { kid: "test-1", secret: "test-signing-secret-0123456789abcdef0123456789" },
          ]),
          SECRETS_ENCRYPTION_KEY: "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy0wMDA=",
        },
      },
    })),
  ],
  test: {
    // Keep test output readable: per-request log lines are exercised by their own test.
    onConsoleLog: (log) => !log.includes('"event":"request"'),
    setupFiles: ["./test/setup/apply-migrations.ts"],
    // Real small servers the tests talk to (an OpenAI-compatible endpoint, ...), started once in Node.
    globalSetup: ["./test/setup/global-servers.ts"],
    maxWorkers: 2,
    testTimeout: 30000,
    hookTimeout: 60000,
  },
});
