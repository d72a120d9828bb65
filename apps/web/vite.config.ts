import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';
import { reporting } from '../../vitest.shared';

// `nx run web:dev` proxies the API and the socket to a running controller.
const controller = process.env['VIRTNET_URL'] ?? 'http://127.0.0.1:8780';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), tailwindcss()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/api': controller,
      '/ws': { target: controller.replace(/^http/, 'ws'), ws: true },
    },
  },
  test: { include: ['test/unit/**/*.test.{ts,tsx}'], ...reporting('web') },
});
