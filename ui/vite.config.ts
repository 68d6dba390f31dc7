import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// `npm run dev` proxies the APIs to a `hearth serve` on the default port, so the UI can
// be worked on with hot reload; the token comes from VITE_HEARTH_TOKEN then (the
// session cookie of a login link belongs to the server's own origin).
export default defineConfig({
  plugins: [preact()],
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: { "/api": "http://127.0.0.1:8765", "/v1": "http://127.0.0.1:8765" },
  },
  test: { environment: "jsdom", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
