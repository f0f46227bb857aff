# syntax=docker/dockerfile:1
# Build stage: compile TypeScript with dev dependencies, then drop them.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# ONNX Runtime usage telemetry off (src/models/ort-env.ts forces it too): nothing may phone home.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    ORT_DISABLE_TELEMETRY=1
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies, compiled code and data files only; non-root.
FROM node:20-bookworm-slim
# ORT_DISABLE_TELEMETRY: ONNX Runtime's usage telemetry off (src/models/ort-env.ts forces it too).
# SHUTDOWN_GRACE_MS 7 s: the process ends at most 2 s after the grace period, inside `docker stop`'s
# default 10 s before it sends SIGKILL (README "Stopping the service").
ENV NODE_ENV=production \
    SANDBOX=off \
    PORT=3000 \
    ORT_DISABLE_TELEMETRY=1 \
    SHUTDOWN_GRACE_MS=7000
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root openapi ./openapi
COPY --chown=root:root cards ./cards
COPY --chown=root:root models ./models
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/index.js"]
