# syntax=docker/dockerfile:1
# Build: compile TypeScript and the web console, then keep only production dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the prepare script (build) runs below once the sources are in.
RUN npm ci --ignore-scripts --omit=optional
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web console's sources: vite builds them into dist/console (npm run build).
COPY web ./web
RUN npm run build && npm prune --omit=dev --omit=optional

# Runtime: Debian's ffmpeg, a non-root user, nothing but what runs.
# yt-dlp (video pages and HLS/DASH URLs; adds Python) is optional: --build-arg WITH_YTDLP=false drops it.
FROM node:20-bookworm-slim
ARG WITH_YTDLP=true
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg tini ca-certificates $(if [ "$WITH_YTDLP" = true ]; then echo yt-dlp; fi) \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 mediaforge \
 && useradd --system --uid 10001 --gid mediaforge --home-dir /data --shell /usr/sbin/nologin mediaforge \
 && mkdir -p /data && chown mediaforge:mediaforge /data
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MEDIAFORGE_DATA_DIR=/data \
    FFMPEG_PATH=/usr/bin/ffmpeg \
    FFPROBE_PATH=/usr/bin/ffprobe
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY web ./web
USER mediaforge:mediaforge
VOLUME ["/data"]
EXPOSE 3000
# tini forwards SIGTERM so workers hand their jobs back before the container stops.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/mediaforge.js"]
CMD ["start"]
