# Prometheus for the ECS deployment, with the scrape configuration baked in (as the seed's
# prometheus image did). Build context: the repository root.
FROM prom/prometheus:v2.53.2
COPY deploy/docker/prometheus/prometheus-ecs.yml /etc/prometheus/prometheus.yml
USER nobody
EXPOSE 9090
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9090/-/healthy"]
