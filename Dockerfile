# syntax=docker/dockerfile:1
# One image for every Baton service; SERVICE picks which one runs:
#   docker build -t baton:local .
#   docker run -e SERVICE=scheduler baton:local
#   docker run baton:local node scripts/migrate.mjs      (the one-shot migration)
# The build stage compiles the TypeScript (`npm run build`, SWC, to each workspace's dist/);
# the runtime stage holds production dependencies only and the compiled output.
ARG NODE_IMAGE=node:24.21.0-slim

# Only the manifests, so the installs are cached until a package.json or the lock file changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /out \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /out/ \; \
 && cp package-lock.json .npmrc /out/

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false
COPY --from=manifests /out/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
# Every workspace's dist/ and package.json, and nothing else, gathered for the runtime stage.
RUN npm run build \
 && mkdir -p /out \
 && for ws in libs/* services/* tools/*; do \
      if [ -d "$ws/dist" ]; then cp --parents -r "$ws/package.json" "$ws/dist" /out/; fi; \
    done \
 && cp --parents tools/cli/bin/baton.js /out/

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV npm_config_update_notifier=false
COPY --from=manifests /out/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/.cache

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE=gateway
# HTTP_HOST: services bind 127.0.0.1 unless told otherwise; in a container that would be unreachable.
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    HTTP_HOST=0.0.0.0 \
    NO_UPDATE_NOTIFIER=1
WORKDIR /app
# Owned by root and read-only for the service user: the container runs with a read-only root filesystem.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /out/ ./
COPY scripts/migrate.mjs scripts/start-service.sh ./scripts/
# The example handoff specs and workflows: HANDOFFS_DIR / WORKFLOWS_DIR may point here.
COPY examples ./examples
# The `node` user of the official image (uid/gid 1000), numeric so Kubernetes runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000
STOPSIGNAL SIGTERM
# The one start command of a service, with its Node memory settings (sized from the container's
# memory limit, or BATON_MEMORY_LIMIT_MB); it execs node, which becomes PID 1 and receives SIGTERM
# directly (the services handle it). An unknown SERVICE exits 64.
CMD ["sh", "-c", "exec sh scripts/start-service.sh \"services/${SERVICE}/dist/main.js\""]
