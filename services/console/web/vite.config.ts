// Two pages: the console (index.html) and the residents' online police room (resident/index.html).
// Everything is bundled: the built pages load nothing from outside the console (they work offline).
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // MapLibre GL JS is one large module; it is loaded once and cached (hashed file names).
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: {
        console: resolve(import.meta.dirname, "index.html"),
        resident: resolve(import.meta.dirname, "resident/index.html"),
      },
    },
  },
});
