output "kmirror_url" {
  description = "kmirror REST API (connectors, /metrics, /health) inside the VPC."
  value       = "http://${local.kmirror_host}:8083"
}

output "prometheus_url" {
  description = "Prometheus inside the VPC."
  value       = "http://${local.prometheus_host}:9090"
}

output "grafana_url" {
  description = "Grafana inside the VPC (user admin, password in grafana_admin_secret_arn)."
  value       = "http://${local.grafana_host}:3000"
}

output "grafana_admin_secret_arn" {
  description = "Secrets Manager secret holding the Grafana admin password."
  value       = aws_secretsmanager_secret.grafana_admin.arn
}

output "connector_s3_uris" {
  description = "Rendered connector JSONs (aws s3 cp ... then deploy/scripts/apply-connectors.sh)."
  value       = { for k, o in aws_s3_object.connector : k => "s3://${o.bucket}/${o.key}" }
}

output "config_bucket" {
  description = "Bucket for connector JSONs and s3:// worker configs / key stores."
  value       = aws_s3_bucket.config.id
}

output "ecr_repository_urls" {
  description = "ECR repositories build-and-push.sh pushes to."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "source_bootstrap_servers" {
  description = "Source cluster IAM bootstrap brokers."
  value       = local.source_bootstrap
}

output "target_bootstrap_servers" {
  description = "Target cluster IAM bootstrap brokers."
  value       = local.target_bootstrap
}
