# Grafana for the ECS deployment with the kmirror dashboard and the Prometheus datasource
# provisioned (PROMETHEUS_URL set by the task definition). Build context: the repository root.
FROM grafana/grafana-oss:11.2.2
COPY deploy/grafana/provisioning/datasources /etc/grafana/provisioning/datasources
COPY deploy/grafana/provisioning/dashboards /etc/grafana/provisioning/dashboards
COPY deploy/grafana/dashboards /var/lib/grafana/dashboards/kmirror
USER grafana
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:3000/api/health"]
