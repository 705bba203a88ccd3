# The authbench servers as an image: `authbench serve` under one strategy, as a non-root user.
#   docker build -t authbench .
#   docker run --rm -p 3000:3000 -e JWT_SECRET=… authbench --strategy jwt-redis \
#     --pg-url postgres://… --redis-url redis://…
# The port is PORT (3000), which the healthcheck reads too. JWT_SECRET is required: the image
# never serves with the development secret.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: nothing the servers use builds natively, and the optional chart renderer
# (canvas) is installed unbuilt only for its types, then pruned. The build runs explicitly below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY bench bench
COPY servers servers
COPY fixtures fixtures
COPY sql sql
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# sql/migrate.ts reads the schema next to the compiled code's source tree.
COPY --from=build /app/sql/schema.sql sql/schema.sql
USER node
EXPOSE 3000
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/bench/cli/bin.js", "serve", "--require-jwt-secret", "--host", "0.0.0.0"]
CMD ["--strategy", "db-lookup"]
