# glance-share as a container: compiled in a build stage that has the dev dependencies, run from a
# stage that has only the runtime ones, as an unprivileged user, with its data on a volume.
#
#   docker build -t glance-share .
#   docker run -p 9292:9292 -v glance-share-data:/var/lib/glance-share \
#     -v /etc/glance-share.json:/etc/glance-share/config.json:ro glance-share
#
# The configuration must set "host": "0.0.0.0" (to be reachable from outside the container) and a
# "publicUrl" clients can reach; the demo identity refuses to listen there (see README).

FROM node:20-bookworm-slim AS build
WORKDIR /src
# sqlite3 compiles from source (nothing is downloaded at install time): a toolchain for this stage only.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc .prebuild-installrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schemas ./schemas
RUN npm run build
# The runtime dependencies alone, compiled here where the toolchain is.
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    GLANCE_SHARE_CONFIG=/etc/glance-share/config.json
WORKDIR /opt/glance-share
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/schemas ./schemas
# The node image's unprivileged user owns the data, nothing else.
RUN mkdir -p /var/lib/glance-share /etc/glance-share && chown node:node /var/lib/glance-share
USER node
VOLUME ["/var/lib/glance-share"]
EXPOSE 9292
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 9292) + '/healthcheck').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: requests in flight finish, then it exits 0.
ENTRYPOINT ["node", "dist/server.js"]
CMD ["serve"]
