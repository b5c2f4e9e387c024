# The local stand-in for hashicorp/consul:1.14.11 (scripts/docker-images.sh builds it when the
# image cannot be pulled). The context holds the Consul binary scripts/consul.sh provides
# (static: CGO_ENABLED=0) and consul-entrypoint.sh.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
# (declared again: an ARG before FROM is not visible after it)
ARG BASE_IMAGE
ARG CONSUL_VERSION
COPY consul /bin/consul
COPY consul-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN groupadd --system consul \
 && useradd --system --gid consul --home-dir /consul --no-create-home consul \
 && mkdir -p /consul/data /consul/config \
 && chown -R consul:consul /consul
VOLUME /consul/data
EXPOSE 8300 8301 8301/udp 8302 8302/udp 8500 8600 8600/udp
LABEL org.zkv.stand-in="Consul ${CONSUL_VERSION} from scripts/consul.sh, on ${BASE_IMAGE}"
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["agent", "-dev", "-client", "0.0.0.0"]
