# kinko — multi-stage image. Build: docker build -t kinko .
# Stage 1 compiles the native SQLite binding and the server (dist/, bin/build.js);
# stage 2 carries only what runs. The build is named by a hash of the sources,
# so the image's read-only /app starts it directly and never compiles at start.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm install --no-audit --no-fund && npm prune --omit=dev
COPY bin ./bin
COPY server ./server
COPY storage-adapters ./storage-adapters
COPY views ./views
COPY static ./static
COPY tsconfig.json ./
RUN node bin/build.js

FROM node:20-bookworm-slim
ENV NODE_ENV=production KINKO_HOST=0.0.0.0 KINKO_DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=root:root /app /app
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.KINKO_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/kinko.js", "serve"]
