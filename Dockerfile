# syntax=docker/dockerfile:1
# One image for every Baton service; SERVICE picks which one runs:
#   docker build -t baton:local .
#   docker run -e SERVICE=scheduler baton:local
# Services run from TypeScript through @swc-node/register (as `npm start` does locally),
# so the image keeps dev dependencies: swc is the runtime compiler.
ARG NODE_IMAGE=node:24.21.0-slim

# Only the manifests, so the install is cached until a package.json or the lock file changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /out \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /out/ \; \
 && cp package-lock.json .npmrc /out/

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false
COPY --from=manifests /out/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm install --no-audit --no-fund \
 && rm -rf node_modules/.cache

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE=gateway
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    NO_UPDATE_NOTIFIER=1
WORKDIR /app
# Owned by root and read-only for the service user: the container runs with a read-only root filesystem.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.base.json tsconfig.json .swcrc ./
COPY libs ./libs
COPY services ./services
# The example handoff specs and workflows: HANDOFFS_DIR / WORKFLOWS_DIR may point here.
COPY examples ./examples
# The `node` user of the official image (uid/gid 1000), numeric so Kubernetes runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000
STOPSIGNAL SIGTERM
# exec: node becomes PID 1 and receives SIGTERM directly (the services handle it).
CMD ["sh", "-c", "test -f \"services/${SERVICE}/src/main.ts\" || { echo \"unknown SERVICE '${SERVICE}'\" >&2; exit 64; }; exec node -r @swc-node/register \"services/${SERVICE}/src/main.ts\""]
