# The local stand-in for node:20-bookworm-slim (scripts/docker-images.sh builds it when the
# image cannot be pulled). The context holds this machine's node binary, its npm package and
# its CA bundle; they go where the official image keeps them.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
# (declared again: an ARG before FROM is not visible after it)
ARG BASE_IMAGE
ARG NODE_VERSION
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
# npm and pnpm in a build then trust whatever certificate chain npm on the build machine trusts.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION=${NODE_VERSION} NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL org.zkv.stand-in="Node ${NODE_VERSION} of the build machine, on ${BASE_IMAGE}"
CMD ["node"]
